import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { TiSpaceConfig } from '../config/schema.ts';
import type { Condition, Instance, InstancePhase } from '../domain/instance.ts';
import { INSTANCE_LABEL, isManagedInstanceObject } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import type { KubeActions, ObjectRef } from '../kube/actions.ts';
import { buildFinalSnapshot, buildPod, buildPvc, buildSecret, buildService } from '../kube/builders.ts';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.ts';
import type { World } from '../kube/world.ts';
import type { Notifier } from '../notifier.ts';
import type { InstancePatch, StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import {
  diskCondition,
  mergeConditions,
  podReady,
  readyCondition,
  scheduledCondition,
  sshEndpoint,
} from './observe.ts';
import { WorkQueue } from './work-queue.ts';

export interface ReconcilerOptions {
  config: TiSpaceConfig;
  store: Store;
  world: World;
  kube: KubeActions;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  workers?: number;
  /** How long a Pod may stay unschedulable before the instance is marked failed. */
  unschedulableFailAfterMs?: number;
  /** Test seam: called before every step that writes to Kubernetes; throwing simulates a crash there. */
  beforeStep?: (step: string, instanceId: string) => void;
}

export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

const EXPECTATION_TTL_MS = 30_000;
/** How soon a pass that found the caches unsynced runs again. */
const UNSYNCED_RETRY_MS = 500;
const expectationKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

type StatusPatch = Omit<InstancePatch, 'conditions'> & {
  conditions?: Omit<Condition, 'lastTransitionTime'>[];
};

const ref = (apiVersion: string, kind: string, name: string, namespace: string): ObjectRef => ({
  apiVersion,
  kind,
  metadata: { name, namespace },
});

/** Level-triggered: every pass re-reads the store and the caches and does the next step that is missing. */
export class Reconciler {
  readonly queue = new WorkQueue();
  readonly #o: ReconcilerOptions;
  #resyncTimer: NodeJS.Timeout | undefined;
  #running: Promise<void>[] = [];
  /** Objects created by this process that the caches have not shown yet, with when (performance.now()). */
  readonly #expected = new Map<string, number>();
  /** Passes completed, and passes that failed (for metrics and benchmarks). */
  readonly stats = { reconciles: 0, errors: 0 };

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  /** Maps a watch event to the instance it belongs to. */
  onObjectChanged = (kind: string, object: KubernetesObject): void => {
    this.#expected.delete(
      expectationKey(kind, object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
    );
    const id = object.metadata?.labels?.[INSTANCE_LABEL];
    if (id && object.metadata?.namespace === this.#o.config.namespace) this.queue.add(id);
    else if (kind === 'VolumeSnapshot') {
      // A golden snapshot became ready (or went away): instances waiting for their disk may proceed.
      for (const i of this.#o.store.instances.listLive())
        if (i.phase === 'provisioning' || i.phase === 'requested') this.queue.add(i.id);
    }
  };

  start(): void {
    const workers = this.#o.workers ?? 4;
    for (let i = 0; i < workers; i++) this.#running.push(this.#work());
    this.resync();
    this.#resyncTimer = setInterval(() => this.resync(), this.#o.config.resyncSeconds * 1000);
    this.#resyncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.#running);
    this.#running = [];
  }

  /** Enqueues every instance that still has something in the cluster or a pending snapshot. */
  resync(): void {
    for (const i of this.#o.store.instances.listLive()) this.queue.add(i.id);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const outcome = await this.reconcile(key);
        this.queue.forget(key);
        if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
      } catch (error) {
        this.stats.errors++;
        const delay = this.queue.addRateLimited(key);
        this.#o.log.warn({ instance: key, err: error, retryInMs: delay }, 'reconcile failed; backing off');
        try {
          this.#recordError(key, error);
        } catch (recordError) {
          // The store failing too (locked, I/O) must not end this worker: the retry is already queued.
          this.#o.log.error({ instance: key, err: recordError }, 'could not record the reconcile error');
        }
      } finally {
        this.queue.done(key);
      }
    }
  }

  #recordError(id: string, error: unknown): void {
    const instance = this.#o.store.instances.get(id);
    if (!instance) return;
    const message = describeKubeError(error);
    const existing = instance.conditions.find((c) => c.type === 'Reconciled');
    if (existing?.message === message) return;
    const now = this.#o.clock.now().toISOString();
    const others = instance.conditions.filter((c) => c.type !== 'Reconciled');
    this.#o.store.instances.update(
      id,
      {
        conditions: [
          ...others,
          {
            type: 'Reconciled',
            status: 'False',
            reason: 'KubernetesError',
            message,
            lastTransitionTime: now,
          },
        ],
      },
      now,
    );
  }

  #step(step: string, id: string): void {
    this.#o.beforeStep?.(step, id);
  }

  async reconcile(id: string): Promise<ReconcileOutcome> {
    this.stats.reconciles++;
    const instance = this.#o.store.instances.get(id);
    // Unknown to the store: never act (a lost database is rebuilt by adopt, not by deleting).
    if (!instance) return {};
    // A cache whose list failed is empty, not "nothing exists": acting on it would take a disk for gone.
    if (!this.#o.world.synced) return { requeueAfterMs: UNSYNCED_RETRY_MS };
    switch (instance.desired) {
      case 'running':
        return this.#ensureRunning(instance);
      case 'stopped':
        return this.#ensureStopped(instance);
      case 'deleted':
        return this.#ensureDeleted(instance);
    }
  }

  // ---- create / start -------------------------------------------------------------------------

  async #ensureRunning(instance: StoredInstance): Promise<ReconcileOutcome> {
    const { config, world, store } = this.#o;
    const ns = config.namespace;
    const names = objectNames(instance.id);
    const image = config.images.find((i) => i.name === instance.image);

    const secret = world.secrets.get(names.secret, ns);
    const desiredSecret = buildSecret(
      config,
      instance,
      store.keys.list(instance.ownerId).map((k) => k.publicKey),
    );
    if (!secret) {
      if (!(await this.#createOwned(instance, 'create-secret', desiredSecret)))
        return this.#collision(instance, 'Secret', names.secret);
    } else if (!isManagedInstanceObject(secret, instance.id)) {
      return this.#collision(instance, 'Secret', names.secret);
    } else if (secret.data?.authorized_keys !== desiredSecret.data?.authorized_keys) {
      this.#step('apply-secret', instance.id);
      await this.#o.kube.apply(desiredSecret);
    }

    const pvc = world.pvcs.get(names.pvc, ns);
    const sourceName = instance.snapshotName ?? image?.snapshot ?? '';
    if (!pvc) {
      if (!image)
        return this.#setStatus(instance, {
          phase: 'failed',
          conditions: [
            {
              type: 'DiskReady',
              status: 'False',
              reason: 'ImageUnavailable',
              message: `image ${instance.image} is no longer in the catalog`,
            },
          ],
        });
      if (!(await this.#createOwned(instance, 'create-pvc', buildPvc(config, instance, image, sourceName))))
        return this.#collision(instance, 'PersistentVolumeClaim', names.pvc);
    } else if (!isManagedInstanceObject(pvc, instance.id)) {
      return this.#collision(instance, 'PersistentVolumeClaim', names.pvc);
    }

    const service = world.services.get(names.service, ns);
    if (!service) {
      if (!(await this.#createOwned(instance, 'create-service', buildService(config, instance))))
        return this.#collision(instance, 'Service', names.service);
    } else if (!isManagedInstanceObject(service, instance.id)) {
      return this.#collision(instance, 'Service', names.service);
    }

    let pod = world.pods.get(names.pod, ns);
    if (pod && !isManagedInstanceObject(pod, instance.id)) return this.#collision(instance, 'Pod', names.pod);
    if (pod?.metadata?.deletionTimestamp) return this.#setStatus(instance, { phase: 'provisioning' }); // old Pod still going
    if (pod && (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded')) {
      this.#step('delete-dead-pod', instance.id);
      await this.#deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
      return {};
    }
    if (!pod) {
      if (!image) return this.#setStatus(instance, { phase: 'failed' });
      if (!(await this.#createOwned(instance, 'create-pod', buildPod(config, instance, image))))
        return this.#collision(instance, 'Pod', names.pod);
      pod = undefined; // the watch brings it
    }

    // Observe and report.
    const source = world.snapshots.get(sourceName, ns);
    const disk = diskCondition(pvc, source, sourceName);
    const scheduled = scheduledCondition(pod);
    const ready = readyCondition(pod);
    const now = this.#o.clock.now();
    const failAfter = this.#o.unschedulableFailAfterMs ?? 120_000;
    const unschedulableFor =
      scheduled.status === 'False' && scheduled.since ? now.getTime() - scheduled.since.getTime() : 0;
    const conditions = [disk, scheduled, ready].map(({ type, status, reason, message }) => ({
      type,
      status,
      reason,
      message,
    }));

    if (pod && podReady(pod)) {
      const node = pod.spec?.nodeName ?? null;
      const endpoint = sshEndpoint(config.sshServiceType, service, node ? world.nodes.get(node) : undefined);
      // Running means "you can ssh in": until the address is known (a LoadBalancer may take a moment;
      // its status change wakes us through the Service watch), the instance is still provisioning.
      if (!endpoint) {
        this.#setStatus(instance, {
          phase: 'provisioning',
          node,
          conditions: [
            ...conditions,
            {
              type: 'SshReady',
              status: 'False',
              reason: 'WaitingForAddress',
              message: 'waiting for the SSH address',
            },
          ],
        });
        return { requeueAfterMs: 1000 };
      }
      const outcome = this.#setStatus(instance, {
        phase: 'running',
        node,
        sshHost: endpoint.host,
        sshPort: endpoint.port,
        readyAt: instance.readyAt ?? now.toISOString(),
        stoppedAt: null,
        conditions,
      });
      // Restored: the disk is a bound clone now, so the snapshot it came from has done its job.
      if (instance.snapshotName && pvc?.status?.phase === 'Bound')
        await this.#dropSnapshot(instance, instance.snapshotName);
      return outcome;
    }
    if (ready.fatal) return this.#setStatus(instance, { phase: 'failed', conditions });
    if (scheduled.status === 'False' && unschedulableFor >= failAfter)
      return this.#setStatus(instance, { phase: 'failed', conditions });
    const outcome = this.#setStatus(instance, {
      phase: instance.phase === 'failed' && !pod ? 'failed' : 'provisioning',
      conditions,
    });
    return scheduled.status === 'False'
      ? { requeueAfterMs: Math.max(1000, failAfter - unschedulableFor) }
      : outcome;
  }

  // ---- stop -----------------------------------------------------------------------------------

  async #ensureStopped(instance: StoredInstance): Promise<ReconcileOutcome> {
    const ns = this.#o.config.namespace;
    const names = objectNames(instance.id);
    const pod = this.#o.world.pods.get(names.pod, ns);
    if (pod && isManagedInstanceObject(pod, instance.id)) {
      if (!pod.metadata?.deletionTimestamp) {
        this.#step('delete-pod', instance.id);
        await this.#deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
      }
      return this.#setStatus(instance, { phase: 'stopping' });
    }
    return this.#setStatus(instance, {
      phase: 'stopped',
      node: null,
      readyAt: null,
      stoppedAt: instance.stoppedAt ?? this.#o.clock.now().toISOString(),
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Stopped', message: 'stopped; the disk is kept' },
      ],
    });
  }

  // ---- delete: Pod, Service, Secret, then snapshot the disk, then (only when it is ready) the disk ----

  async #ensureDeleted(instance: StoredInstance): Promise<ReconcileOutcome> {
    const { config, world, store, clock } = this.#o;
    const ns = config.namespace;
    const names = objectNames(instance.id, instance.generation);
    const now = clock.now();

    if (instance.phase === 'deleted') return this.#expireSnapshot(instance);

    const pod = world.pods.get(names.pod, ns);
    if (pod && isManagedInstanceObject(pod, instance.id)) {
      if (!pod.metadata?.deletionTimestamp) {
        this.#step('delete-pod', instance.id);
        await this.#deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
      }
      return this.#setStatus(instance, { phase: 'deleting', node: null });
    }
    const service = world.services.get(names.service, ns);
    if (service && isManagedInstanceObject(service, instance.id)) {
      this.#step('delete-service', instance.id);
      await this.#deleteOwned(ref('v1', 'Service', names.service, ns), service.metadata?.uid);
    }
    const secret = world.secrets.get(names.secret, ns);
    if (secret && isManagedInstanceObject(secret, instance.id)) {
      this.#step('delete-secret', instance.id);
      await this.#deleteOwned(ref('v1', 'Secret', names.secret, ns), secret.metadata?.uid);
    }

    const pvc = world.pvcs.get(names.pvc, ns);
    if (pvc && isManagedInstanceObject(pvc, instance.id)) {
      if (pvc.status?.phase === 'Bound' && !pvc.metadata?.deletionTimestamp) {
        // Nothing deletes a disk without a ready snapshot of it.
        const snapshot = world.snapshots.get(names.finalSnapshot, ns);
        // A previous snapshot (the one a restore came from) is kept until this one is ready.
        const previous =
          instance.snapshotName && instance.snapshotName !== names.finalSnapshot
            ? instance.snapshotName
            : null;
        if (!snapshot) {
          if (!previous)
            store.durably(() =>
              store.instances.update(instance.id, { snapshotName: names.finalSnapshot }, now.toISOString()),
            );
          await this.#createOwned(
            instance,
            'create-snapshot',
            buildFinalSnapshot(config, instance, config.snapshotClass),
          );
          return this.#setStatus(instance, {
            phase: 'deleting',
            ...(previous ? {} : { snapshotName: names.finalSnapshot }),
            conditions: [
              {
                type: 'DiskSnapshot',
                status: 'False',
                reason: 'SnapshotRequested',
                message: `snapshot ${names.finalSnapshot} requested`,
              },
            ],
          });
        }
        // A snapshot under our name that TiSpace did not take of this disk proves nothing: keep the disk.
        if (
          !isManagedInstanceObject(snapshot, instance.id) ||
          snapshot.spec?.source?.persistentVolumeClaimName !== names.pvc
        )
          return this.#collision(
            instance,
            'VolumeSnapshot',
            names.finalSnapshot,
            'The disk is kept: an admin must remove or rename that snapshot, then the deletion resumes.',
          );
        if (snapshot.status?.readyToUse !== true)
          return this.#setStatus(instance, {
            phase: 'deleting',
            conditions: [
              {
                type: 'DiskSnapshot',
                status: 'False',
                reason: 'SnapshotNotReady',
                message: `waiting for snapshot ${names.finalSnapshot} to be ready before the disk is deleted`,
              },
            ],
          });
        if (previous) await this.#dropSnapshot(instance, previous, 'replaced by a newer final snapshot');
        // Record the restore window durably before the disk goes. The expiry belongs to this snapshot:
        // one recorded for another (an earlier life's) is never reused.
        const kept = instance.snapshotName === names.finalSnapshot ? instance.snapshotExpiresAt : null;
        store.durably(() =>
          store.instances.update(
            instance.id,
            {
              snapshotName: names.finalSnapshot,
              snapshotExpiresAt: kept ?? new Date(now.getTime() + config.policy.snapshotGrace).toISOString(),
            },
            now.toISOString(),
          ),
        );
      }
      if (!pvc.metadata?.deletionTimestamp) {
        this.#step('delete-pvc', instance.id);
        await this.#deleteOwned(ref('v1', 'PersistentVolumeClaim', names.pvc, ns), pvc.metadata?.uid);
      }
      return this.#setStatus(instance, { phase: 'deleting' });
    }
    // "Gone" is terminal: confirm it with the API server, not only the cache, before saying so.
    for (const [kind, name] of [
      ['Pod', names.pod],
      ['PersistentVolumeClaim', names.pvc],
    ] as const) {
      if (await this.#existsLive(instance, ref('v1', kind, name, ns))) {
        this.#o.log.warn({ instance: instance.id, kind, name }, 'cache says gone but it exists; waiting');
        return { requeueAfterMs: 1000 };
      }
    }
    const fresh = store.instances.get(instance.id) ?? instance;
    // A snapshot with no window yet (a restore that never bound its disk) is the only copy: a full grace.
    const expires =
      fresh.snapshotName && !fresh.snapshotExpiresAt
        ? new Date(now.getTime() + config.policy.snapshotGrace).toISOString()
        : fresh.snapshotExpiresAt;
    const done = this.#setStatus(fresh, {
      phase: 'deleted',
      deletedAt: fresh.deletedAt ?? now.toISOString(),
      snapshotExpiresAt: expires,
      node: null,
      sshHost: null,
      sshPort: null,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'Deleted',
          message: fresh.snapshotName
            ? `deleted; restorable from ${fresh.snapshotName} until ${expires}`
            : 'deleted',
        },
      ],
    });
    return expires ? { requeueAfterMs: Math.max(1000, Date.parse(expires) - now.getTime()) } : done;
  }

  /** After the grace period the final snapshot goes too (unless an admin said keep). */
  async #expireSnapshot(instance: StoredInstance): Promise<ReconcileOutcome> {
    const { clock } = this.#o;
    if (!instance.snapshotName || !instance.snapshotExpiresAt) return {};
    const now = clock.now();
    const left = Date.parse(instance.snapshotExpiresAt) - now.getTime();
    if (instance.keep) return {};
    if (left > 0) return { requeueAfterMs: Math.min(left, 2 ** 31 - 1) };
    await this.#dropSnapshot(instance, instance.snapshotName, 'snapshot grace period over');
    return {};
  }

  /** Deletes the instance's own final snapshot (never another object) and forgets it. */
  async #dropSnapshot(
    instance: StoredInstance,
    name: string,
    reason = 'restored disk is bound',
  ): Promise<void> {
    const { config, world, store, clock } = this.#o;
    const now = clock.now().toISOString();
    const target = ref('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', name, config.namespace);
    // Not in the cache is not proof it is gone: forget a snapshot only after deleting it or seeing 404.
    const snapshot = world.snapshots.get(name, config.namespace) ?? (await this.#readLive(target));
    if (snapshot && isManagedInstanceObject(snapshot, instance.id)) {
      this.#step('delete-snapshot', instance.id);
      await this.#deleteOwned(
        ref('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', name, config.namespace),
        snapshot.metadata?.uid,
      );
    }
    store.durably(() => {
      store.instances.update(instance.id, { snapshotName: null, snapshotExpiresAt: null }, now);
      store.audit.record({
        at: now,
        actor: 'reconciler',
        action: 'snapshot-deleted',
        instanceId: instance.id,
        reason,
        details: { snapshot: name },
      });
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /**
   * Creates; AlreadyExists is progress if the object is ours. False means a foreign object holds the name.
   * An object this process created is expected until its watch event arrives (client-go's
   * "expectations"): a pass that runs before the cache has it does not create it again.
   */
  async #createOwned(instance: Instance, step: string, object: KubernetesObject): Promise<boolean> {
    const key = expectationKey(object.kind!, object.metadata!.namespace!, object.metadata!.name!);
    const createdAt = this.#expected.get(key);
    if (createdAt !== undefined && performance.now() - createdAt < EXPECTATION_TTL_MS) return true;
    this.#step(step, instance.id);
    try {
      await this.#o.kube.create(object);
      this.#expected.set(key, performance.now());
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
      const existing = await this.#o.kube.read({
        apiVersion: object.apiVersion!,
        kind: object.kind!,
        metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace! },
      });
      return isManagedInstanceObject(existing, instance.id);
    }
  }

  /** The object as the API server has it now; undefined when it does not exist. */
  async #readLive(target: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return await this.#o.kube.read(target);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #existsLive(instance: Instance, target: ObjectRef): Promise<boolean> {
    const live = await this.#readLive(target);
    return live !== undefined && isManagedInstanceObject(live, instance.id);
  }

  async #deleteOwned(target: ObjectRef, uid: string | undefined): Promise<void> {
    try {
      await this.#o.kube.delete(target, uid ? { uid } : {});
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  #collision(
    instance: StoredInstance,
    kind: string,
    name: string,
    advice = 'Delete this instance and create it under another name.',
  ): ReconcileOutcome {
    return this.#setStatus(instance, {
      phase: 'failed',
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'NameCollision',
          message: `a ${kind} named ${name} exists that TiSpace did not create; it was left untouched. ${advice}`,
        },
      ],
    });
  }

  /** Writes status only when it changed; announces phase changes. */
  #setStatus(instance: StoredInstance, patch: StatusPatch): ReconcileOutcome {
    const { store, clock, notifier, log } = this.#o;
    const now = clock.now().toISOString();
    const conditions = patch.conditions
      ? mergeConditions(instance.conditions, patch.conditions, now)
      : undefined;
    const { conditions: _c, ...rest } = patch;
    const full: InstancePatch = { ...rest, ...(conditions ? { conditions } : {}) };
    const changed = (Object.keys(full) as (keyof InstancePatch)[]).filter(
      (k) => JSON.stringify(full[k]) !== JSON.stringify(instance[k]),
    );
    if (changed.length === 0) return {};
    const from = instance.phase;
    const to = (full.phase ?? from) as InstancePhase;
    const apply = () => {
      const updated = store.instances.update(instance.id, full, now);
      if (from !== to)
        store.audit.record({
          at: now,
          actor: 'reconciler',
          action: `phase:${to}`,
          instanceId: instance.id,
          reason: `observed ${from} -> ${to}`,
          details: {},
        });
      return updated;
    };
    const updated = to === 'deleted' || from !== to ? store.durably(apply) : store.transaction(apply);
    if (updated && from !== to) {
      const reason = (conditions ?? instance.conditions).find((c) => c.status === 'False')?.message;
      notifier
        .instanceChanged(updated, { from, to, ...(reason ? { reason } : {}) })
        .catch((error: unknown) => {
          log.error({ err: error, instance: instance.id }, 'notifier failed');
        });
    }
    return {};
  }
}
