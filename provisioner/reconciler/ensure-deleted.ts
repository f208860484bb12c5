import { isManagedInstanceObject } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import { buildFinalSnapshot } from '../kube/builders.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import { DONE, type ReconcileOutcome } from './controller.ts';
import { type InstanceContext, ref } from './instance-context.ts';

/** Delete: Pod, Service, Secret, then snapshot the disk, then (only when the snapshot is ready) the disk. */
export async function ensureDeleted(
  ctx: InstanceContext,
  instance: StoredInstance,
): Promise<ReconcileOutcome> {
  const { config, world, store, clock } = ctx.o;
  const ns = config.namespace;
  const names = objectNames(instance.id, instance.generation);
  const now = clock.now();

  if (instance.phase === 'deleted') return expireSnapshot(ctx, instance);

  const pod = world.pods.get(names.pod, ns);
  if (pod && isManagedInstanceObject(pod, instance.id)) {
    if (!pod.metadata?.deletionTimestamp) {
      ctx.step('delete-pod', instance.id);
      await ctx.deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
    }
    ctx.setStatus(instance, { phase: 'deleting', node: null });
    return DONE;
  }
  const service = world.services.get(names.service, ns);
  if (service && isManagedInstanceObject(service, instance.id)) {
    ctx.step('delete-service', instance.id);
    await ctx.deleteOwned(ref('v1', 'Service', names.service, ns), service.metadata?.uid);
  }
  const secret = world.secrets.get(names.secret, ns);
  if (secret && isManagedInstanceObject(secret, instance.id)) {
    ctx.step('delete-secret', instance.id);
    await ctx.deleteOwned(ref('v1', 'Secret', names.secret, ns), secret.metadata?.uid);
  }

  const pvc = world.pvcs.get(names.pvc, ns);
  if (pvc && isManagedInstanceObject(pvc, instance.id)) {
    if (pvc.status?.phase === 'Bound' && !pvc.metadata?.deletionTimestamp) {
      // Nothing deletes a disk without a ready snapshot of it.
      const snapshot = world.snapshots.get(names.finalSnapshot, ns);
      // A previous snapshot (the one a restore came from) is kept until this one is ready.
      const previous =
        instance.snapshotName && instance.snapshotName !== names.finalSnapshot ? instance.snapshotName : null;
      if (!snapshot) {
        if (!previous)
          store.durably(() =>
            store.instances.update(instance.id, { snapshotName: names.finalSnapshot }, now.toISOString()),
          );
        await ctx.createOwned(
          instance,
          'create-snapshot',
          buildFinalSnapshot(config, instance, config.snapshotClass),
        );
        ctx.setStatus(instance, {
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
        return DONE;
      }
      // A snapshot under our name that TiSpace did not take of this disk proves nothing: keep the disk.
      if (
        !isManagedInstanceObject(snapshot, instance.id) ||
        snapshot.spec?.source?.persistentVolumeClaimName !== names.pvc
      ) {
        ctx.collision(
          instance,
          'VolumeSnapshot',
          names.finalSnapshot,
          'The disk is kept: an admin must remove or rename that snapshot, then the deletion resumes.',
        );
        return DONE;
      }
      if (snapshot.status?.readyToUse !== true) {
        ctx.setStatus(instance, {
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
        return DONE;
      }
      if (previous) await ctx.dropSnapshot(instance, previous, 'replaced by a newer final snapshot');
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
      ctx.step('delete-pvc', instance.id);
      await ctx.deleteOwned(ref('v1', 'PersistentVolumeClaim', names.pvc, ns), pvc.metadata?.uid);
    }
    ctx.setStatus(instance, { phase: 'deleting' });
    return DONE;
  }
  // "Gone" is terminal: confirm it with the API server, not only the cache, before saying so.
  for (const [kind, name] of [
    ['Pod', names.pod],
    ['PersistentVolumeClaim', names.pvc],
  ] as const) {
    if (await ctx.existsLive(instance, ref('v1', kind, name, ns))) {
      ctx.o.log.warn({ instance: instance.id, kind, name }, 'cache says gone but it exists; waiting');
      return { requeueAfterMs: 1000 };
    }
  }
  const fresh = store.instances.get(instance.id) ?? instance;
  // A snapshot with no window yet (a restore that never bound its disk) is the only copy: a full grace.
  const expires =
    fresh.snapshotName && !fresh.snapshotExpiresAt
      ? new Date(now.getTime() + config.policy.snapshotGrace).toISOString()
      : fresh.snapshotExpiresAt;
  ctx.setStatus(fresh, {
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
  return expires ? { requeueAfterMs: Math.max(1000, Date.parse(expires) - now.getTime()) } : DONE;
}

/** After the grace period the final snapshot goes too (unless an admin said keep). */
async function expireSnapshot(ctx: InstanceContext, instance: StoredInstance): Promise<ReconcileOutcome> {
  if (!instance.snapshotName || !instance.snapshotExpiresAt) return DONE;
  const left = Date.parse(instance.snapshotExpiresAt) - ctx.o.clock.now().getTime();
  if (instance.keep) return DONE;
  if (left > 0) return { requeueAfterMs: Math.min(left, 2 ** 31 - 1) };
  await ctx.dropSnapshot(instance, instance.snapshotName, 'snapshot grace period over');
  return DONE;
}
