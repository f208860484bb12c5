import { type CreateRequest, resolveCreateRequest } from '../domain/create-request.ts';
import { formatDuration } from '../domain/duration.ts';
import type { Instance } from '../domain/instance.ts';
import { newInstanceId } from '../domain/names.ts';
import { NO_SSH_KEY } from '../domain/ssh-key.ts';
import { fail, ok, type Result, UserErrorAbort } from '../errors.ts';
import { quotaProblem } from '../quota.ts';
import { newInstanceRow, type StoredInstance } from '../store/instances-repo.ts';
import type { Actor, InstanceRef, ServiceContext } from './context.ts';
import { capacityProblem, usageReport } from './usage.ts';

/** Creating, finding and restoring instances (their lifecycle afterwards: lifecycle-api.ts). */
export function instancesApi(ctx: ServiceContext) {
  const { store } = ctx;

  const get = (actor: Actor, ref: InstanceRef): Result<StoredInstance> => {
    const who = ctx.requireUser(actor);
    if (!who.ok) return who;
    return ctx.find(actor, ref, who.value.isAdmin);
  };

  return {
    async create(
      actor: Actor,
      request: CreateRequest,
      options: { notifyRef?: string } = {},
    ): Promise<Result<Instance>> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const resolved = resolveCreateRequest(ctx.config, request);
      if (!resolved.ok) {
        const first = resolved.problems[0]!;
        return fail('InvalidInput', resolved.problems.map((p) => p.message).join('; '), first.field);
      }
      // Without a key the machine would boot and refuse every login (Permission denied (publickey)).
      if (store.keys.list(actor.userId).length === 0) return fail('NoSshKey', NO_SSH_KEY);
      const { spec, image, leaseMs, name } = resolved.value;
      const overhead = await ctx.d.capacity.overhead();
      const now = ctx.now();
      return ctx.decide(() => {
        // Checked and reserved in one IMMEDIATE transaction: concurrent creates cannot overshoot.
        if (store.instances.findByName(actor.userId, name))
          throw new UserErrorAbort({
            code: 'Conflict',
            message: `you already have an instance named "${name}"; pick another name`,
            field: 'name',
          });
        const report = usageReport(ctx, actor.userId);
        const problem = quotaProblem(report.quota, report.used, spec);
        if (problem) throw new UserErrorAbort({ code: 'QuotaExceeded', ...problem });
        const noRoom = capacityProblem(ctx, spec, overhead);
        if (noRoom) throw new UserErrorAbort({ code: 'NoCapacity', message: noRoom, field: 'cpu' });
        const row = newInstanceRow({
          id: newInstanceId(name),
          name,
          ownerId: actor.userId,
          ownerEmail: who.value.user.email ?? '',
          ...spec,
          loginUser: image.loginUser,
          createdAt: now.toISOString(),
          leaseEndsAt: new Date(now.getTime() + leaseMs).toISOString(),
          notifyRef: options.notifyRef ?? null,
          lastActiveAt: now.toISOString(),
        });
        store.instances.insert(row, now.toISOString());
        ctx.audit(actor.userId, 'create', row.id, 'requested by the owner', {
          spec,
          lease: formatDuration(leaseMs),
        });
        return row;
      });
    },

    list(actor: Actor, options: { all?: boolean } = {}): Result<StoredInstance[]> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      if (options.all) {
        if (!who.value.isAdmin) return fail('Forbidden', 'only admins can list everyone’s instances');
        return ok(store.instances.listAll().filter((i) => i.phase !== 'deleted'));
      }
      return ok(store.instances.listByOwner(actor.userId));
    },

    get,

    setNotifyRef(actor: Actor, ref: InstanceRef, notifyRef: string): Result<StoredInstance> {
      const found = get(actor, ref);
      if (!found.ok) return found;
      return ok(store.instances.update(found.value.id, { notifyRef }, ctx.now().toISOString())!);
    },

    /** Brings a deleted instance back from its final snapshot, within the grace period. */
    async restore(actor: Actor, name: string): Promise<Result<StoredInstance>> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const overhead = await ctx.d.capacity.overhead();
      const now = ctx.now();
      return ctx.decide(() => {
        const live = store.instances.findByName(actor.userId, name);
        if (live)
          throw new UserErrorAbort({
            code: 'InvalidState',
            message: `${name} is not deleted (it is ${live.phase}); nothing to restore`,
          });
        const gone = store.instances.findLatestByName(actor.userId, name);
        if (
          !gone?.snapshotName ||
          !gone.snapshotExpiresAt ||
          Date.parse(gone.snapshotExpiresAt) <= now.getTime()
        )
          throw new UserErrorAbort({
            code: 'NotFound',
            message: `no restorable snapshot of "${name}"; deleted machines can be restored for ${formatDuration(ctx.config.policy.snapshotGrace)} after deletion`,
          });
        const report = usageReport(ctx, actor.userId);
        // Its snapshot is counted already; restored, it becomes the disk instead.
        const used = { ...report.used, diskGiB: report.used.diskGiB - gone.diskGiB };
        const problem = quotaProblem(report.quota, used, gone);
        if (problem) throw new UserErrorAbort({ code: 'QuotaExceeded', ...problem });
        const noRoom = capacityProblem(ctx, gone, overhead);
        if (noRoom) throw new UserErrorAbort({ code: 'NoCapacity', message: noRoom });
        const updated = store.instances.update(
          gone.id,
          {
            desired: 'running',
            phase: 'requested',
            deletedAt: null,
            generation: gone.generation + 1,
            conditions: [],
            readyAt: null,
            // A new life: nothing of the previous one's stop or restore window carries over. The snapshot
            // stays (the disk is cloned from it) until the reconciler sees the clone bound.
            stoppedAt: null,
            snapshotExpiresAt: null,
            leaseEndsAt: new Date(now.getTime() + ctx.config.policy.defaultLease).toISOString(),
          },
          now.toISOString(),
        )!;
        ctx.audit(actor.userId, 'restore', gone.id, `restored from ${gone.snapshotName}`, {});
        return updated;
      });
    },
  };
}
