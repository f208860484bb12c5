import type { KubernetesObject } from '@kubernetes/client-node';
import { INSTANCE_LABEL } from '../domain/labels.ts';
import { Controller, type ReconcileOutcome } from './controller.ts';
import { ensureDeleted } from './ensure-deleted.ts';
import { ensureRunning } from './ensure-running.ts';
import { ensureStopped } from './ensure-stopped.ts';
import { Expectations } from './expectations.ts';
import { InstanceContext, type InstanceReconcilerOptions } from './instance-context.ts';

export interface ReconcilerOptions extends InstanceReconcilerOptions {
  workers?: number;
}

/** How soon a pass that found the caches unsynced runs again. */
const UNSYNCED_RETRY_MS = 500;

/**
 * The instance controller: the generic Controller (queue, workers, resync, expectations, error records)
 * driving one level-triggered pass per instance — every pass re-reads the store and the caches and does
 * the next step that is missing (ensure-running.ts, ensure-stopped.ts, ensure-deleted.ts).
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #controller: Controller;
  readonly #ctx: InstanceContext;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#controller = new Controller({
      reconcile: (id) => this.reconcile(id),
      recordError: (id, error) => this.#ctx.recordError(id, error),
      keys: () => this.#liveIds(),
      resyncMs: options.config.resyncSeconds * 1000,
      log: options.log,
      ...(options.workers ? { workers: options.workers } : {}),
    });
    this.#ctx = new InstanceContext(options, this.#controller.expectations);
  }

  get queue(): Controller['queue'] {
    return this.#controller.queue;
  }

  /** Passes completed, and passes that failed (for metrics and benchmarks). */
  get stats(): Controller['stats'] {
    return this.#controller.stats;
  }

  /** Maps a watch event to the instance it belongs to. */
  onObjectChanged = (kind: string, object: KubernetesObject): void => {
    const { namespace = '', name = '', labels } = object.metadata ?? {};
    this.#controller.expectations.observed(Expectations.key(kind, namespace, name));
    const id = labels?.[INSTANCE_LABEL];
    if (id && namespace === this.#o.config.namespace) this.queue.add(id);
    else if (kind === 'VolumeSnapshot') {
      // A golden snapshot became ready (or went away): instances waiting for their disk may proceed.
      for (const i of this.#o.store.instances.listLive())
        if (i.phase === 'provisioning' || i.phase === 'requested') this.queue.add(i.id);
    }
  };

  start(): void {
    this.#controller.start();
  }

  stop(): Promise<void> {
    return this.#controller.stop();
  }

  /** Enqueues every instance that still has something in the cluster or a pending snapshot. */
  resync(): void {
    this.#controller.resync();
  }

  async reconcile(id: string): Promise<ReconcileOutcome> {
    const instance = this.#o.store.instances.get(id);
    // Unknown to the store: never act (a lost database is rebuilt by adopt, not by deleting).
    if (!instance) return {};
    // A cache whose list failed is empty, not "nothing exists": acting on it would take a disk for gone.
    if (!this.#o.world.synced) return { requeueAfterMs: UNSYNCED_RETRY_MS };
    switch (instance.desired) {
      case 'running':
        return ensureRunning(this.#ctx, instance);
      case 'stopped':
        return ensureStopped(this.#ctx, instance);
      case 'deleted':
        return ensureDeleted(this.#ctx, instance);
    }
  }

  *#liveIds(): Iterable<string> {
    for (const i of this.#o.store.instances.listLive()) yield i.id;
  }
}
