import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { TiSpaceConfig } from '../config/schema.ts';
import type { Condition, InstancePhase } from '../domain/instance.ts';
import { isManagedInstanceObject } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import type { KubeActions, ObjectRef } from '../kube/actions.ts';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.ts';
import type { World } from '../kube/world.ts';
import type { Notifier } from '../notifier.ts';
import type { HostKeyReader } from '../ssh/host-key-reader.ts';
import type { InstancePatch, StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import { DONE, type ReconcileOutcome } from './controller.ts';
import { Expectations } from './expectations.ts';
import { mergeConditions } from './observe.ts';

// What every step of the instance reconciler shares: its dependencies, the owned-object writes (create
// with expectations, delete by uid, live reads) and the status writes (conditions, phase, audit, notice).

export interface InstanceReconcilerOptions {
  config: TiSpaceConfig;
  store: Store;
  world: World;
  kube: KubeActions;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  /** Reads a machine's SSH host keys once its Pod is ready (ssh-keyscan against the Service's ClusterIP). */
  hostKeys: HostKeyReader;
  /** How long a Pod may stay unschedulable before the instance is marked failed. */
  unschedulableFailAfterMs?: number;
  /** Test seam: called before every step that writes to Kubernetes; throwing simulates a crash there. */
  beforeStep?: (step: string, instanceId: string) => void;
}

export type StatusPatch = Omit<InstancePatch, 'conditions'> & {
  conditions?: Omit<Condition, 'lastTransitionTime'>[];
};

/** The objects an instance owns under its deterministic names, and the step each create is. */
const OWNED = {
  Secret: { name: 'secret', step: 'create-secret' },
  PersistentVolumeClaim: { name: 'pvc', step: 'create-pvc' },
  Service: { name: 'service', step: 'create-service' },
  Pod: { name: 'pod', step: 'create-pod' },
} as const satisfies Record<string, { name: keyof ReturnType<typeof objectNames>; step: string }>;

export type OwnedKind = keyof typeof OWNED;

export const ref = (apiVersion: string, kind: string, name: string, namespace: string): ObjectRef => ({
  apiVersion,
  kind,
  metadata: { name, namespace },
});

export class InstanceContext {
  constructor(
    readonly o: InstanceReconcilerOptions,
    readonly expectations: Expectations,
  ) {}

  step(step: string, id: string): void {
    this.o.beforeStep?.(step, id);
  }

  /**
   * The instance's object of this kind, as `existing` (from the cache) shows it: created from `desired`
   * when missing; when a foreign object holds the name the instance fails with a collision and the
   * returned outcome ends the pass. Undefined: the object is the instance's (or on its way), go on.
   */
  async ensureOwned(
    instance: StoredInstance,
    kind: OwnedKind,
    existing: KubernetesObject | undefined,
    desired: () => KubernetesObject,
  ): Promise<ReconcileOutcome | undefined> {
    const ours = existing
      ? isManagedInstanceObject(existing, instance.id)
      : await this.createOwned(instance, OWNED[kind].step, desired());
    if (ours) return undefined;
    this.collision(instance, kind, objectNames(instance.id)[OWNED[kind].name]);
    return DONE;
  }

  /**
   * Creates; AlreadyExists is progress if the object is ours. False means a foreign object holds the name.
   * An object this process created is expected until its watch event arrives: a pass that runs before the
   * cache has it does not create it again.
   */
  async createOwned(instance: StoredInstance, step: string, object: KubernetesObject): Promise<boolean> {
    const key = Expectations.key(object.kind!, object.metadata!.namespace!, object.metadata!.name!);
    if (this.expectations.pending(key)) return true;
    this.step(step, instance.id);
    try {
      await this.o.kube.create(object);
      this.expectations.created(key);
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
      const existing = await this.o.kube.read({
        apiVersion: object.apiVersion!,
        kind: object.kind!,
        metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace! },
      });
      return isManagedInstanceObject(existing, instance.id);
    }
  }

  /** The object as the API server has it now; undefined when it does not exist. */
  async readLive(target: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      return await this.o.kube.read(target);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async existsLive(instance: StoredInstance, target: ObjectRef): Promise<boolean> {
    const live = await this.readLive(target);
    return live !== undefined && isManagedInstanceObject(live, instance.id);
  }

  /** Deletes exactly the object the cache showed (by uid); already gone or replaced counts as done. */
  async deleteOwned(target: ObjectRef, uid: string | undefined): Promise<void> {
    try {
      await this.o.kube.delete(target, uid ? { uid } : {});
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  /** Deletes the instance's own final snapshot (never another object) and forgets it. */
  async dropSnapshot(
    instance: StoredInstance,
    name: string,
    reason = 'restored disk is bound',
  ): Promise<void> {
    const { config, world, store, clock } = this.o;
    const now = clock.now().toISOString();
    const target = ref('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', name, config.namespace);
    // Not in the cache is not proof it is gone: forget a snapshot only after deleting it or seeing 404.
    const snapshot = world.snapshots.get(name, config.namespace) ?? (await this.readLive(target));
    if (snapshot && isManagedInstanceObject(snapshot, instance.id)) {
      this.step('delete-snapshot', instance.id);
      await this.deleteOwned(target, snapshot.metadata?.uid);
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

  /** A foreign object holds one of the instance's names: fail the instance and touch nothing. */
  collision(
    instance: StoredInstance,
    kind: string,
    name: string,
    advice = 'Delete this instance and create it under another name.',
  ): void {
    this.setStatus(instance, {
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
  setStatus(instance: StoredInstance, patch: StatusPatch): void {
    const { store, clock, notifier, log } = this.o;
    const now = clock.now().toISOString();
    const conditions = patch.conditions
      ? mergeConditions(instance.conditions, patch.conditions, now)
      : undefined;
    const { conditions: _c, ...rest } = patch;
    const full: InstancePatch = { ...rest, ...(conditions ? { conditions } : {}) };
    const changed = (Object.keys(full) as (keyof InstancePatch)[]).filter(
      (k) => JSON.stringify(full[k]) !== JSON.stringify(instance[k]),
    );
    if (changed.length === 0) return;
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
  }

  /** A failed pass, as the instance's Reconciled condition (written only when the message changed). */
  recordError(id: string, error: unknown): void {
    const instance = this.o.store.instances.get(id);
    if (!instance) return;
    const message = describeKubeError(error);
    const existing = instance.conditions.find((c) => c.type === 'Reconciled');
    if (existing?.message === message) return;
    const now = this.o.clock.now().toISOString();
    const others = instance.conditions.filter((c) => c.type !== 'Reconciled');
    this.o.store.instances.update(
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
}
