import { DURATION_HELP, formatDuration, parseDuration } from '../domain/duration.ts';
import { formatUtc } from '../domain/utc.ts';
import { fail, type Result, UserErrorAbort } from '../errors.ts';
import { quotaProblem } from '../quota.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { Actor, InstanceRef, ServiceContext } from './context.ts';
import { DELETE_PATCH, deleteRefusal, STOP_PATCH, stopRefusal } from './refusals.ts';
import { capacityProblem, usageReport } from './usage.ts';

interface Transition {
  /** The audit action. */
  action: string;
  /** Why the instance as it is now cannot take this change (undefined: go ahead). */
  refuse: (i: StoredInstance) => string | undefined;
  patch: (i: StoredInstance) => Partial<StoredInstance>;
  /** The audit reason (an admin acting on another's instance is added to it). */
  reason: string;
}

/** An owner's (or an admin's) change to one instance: stop, start, extend, delete, mark in use, keep. */
export function lifecycleApi(ctx: ServiceContext) {
  const transition = (actor: Actor, ref: InstanceRef, t: Transition): Result<StoredInstance> => {
    const who = ctx.requireUser(actor);
    if (!who.ok) return who;
    const now = ctx.now().toISOString();
    return ctx.decide(() => {
      const found = ctx.find(actor, ref, who.value.isAdmin);
      if (!found.ok) throw new UserErrorAbort(found.error);
      const why = t.refuse(found.value);
      if (why) throw new UserErrorAbort({ code: 'InvalidState', message: why });
      const next = ctx.store.instances.update(found.value.id, t.patch(found.value), now)!;
      const reason = found.value.ownerId === actor.userId ? t.reason : `${t.reason} (admin ${actor.userId})`;
      ctx.audit(actor.userId, t.action, found.value.id, reason, {});
      return next;
    });
  };

  return {
    stop(actor: Actor, ref: InstanceRef, reason = 'stopped by the owner'): Result<StoredInstance> {
      return transition(actor, ref, { action: 'stop', refuse: stopRefusal, patch: () => STOP_PATCH, reason });
    },

    async start(actor: Actor, ref: InstanceRef): Promise<Result<StoredInstance>> {
      const overhead = await ctx.d.capacity.overhead();
      return transition(actor, ref, {
        action: 'start',
        refuse: (i) => {
          if (i.desired === 'deleted') return `${i.name} is being deleted; use restore after it is gone`;
          if (i.desired === 'running' && i.phase !== 'failed')
            return `${i.name} is already ${i.phase === 'running' ? 'running' : 'starting'}`;
          if (i.desired !== 'stopped') return undefined;
          // It no longer counts as running while stopped: check its CPU and memory again.
          const report = usageReport(ctx, i.ownerId);
          const problem = quotaProblem(
            report.quota,
            { ...report.used, instances: 0, diskGiB: 0 },
            { ...i, diskGiB: 0 },
          );
          return problem ? problem.message : capacityProblem(ctx, i, overhead);
        },
        patch: (i) => {
          // Starting a machine whose lease ran out is a clear wish to use it: it gets a fresh default lease
          // (otherwise the expiry job would stop it again within a minute).
          const now = ctx.now().getTime();
          const expired = Date.parse(i.leaseEndsAt) <= now;
          return {
            desired: 'running' as const,
            phase: i.phase === 'failed' ? ('requested' as const) : i.phase,
            conditions: [],
            // Running again: the stop that retention counts from is over.
            stoppedAt: null,
            ...(expired ? { leaseEndsAt: new Date(now + ctx.config.policy.defaultLease).toISOString() } : {}),
          };
        },
        reason: 'started by the owner',
      });
    },

    extend(actor: Actor, ref: InstanceRef, by?: string | number): Result<StoredInstance> {
      const { defaultLease, maxLease } = ctx.config.policy;
      const ms = by === undefined ? defaultLease : typeof by === 'number' ? by : parseDuration(by);
      if (ms === undefined || ms <= 0)
        return fail('InvalidInput', `"${by}" is not a duration; use ${DURATION_HELP}`, 'lease');
      const now = ctx.now().getTime();
      const extended = (i: StoredInstance) => Math.max(Date.parse(i.leaseEndsAt), now) + ms;
      return transition(actor, ref, {
        action: 'extend',
        refuse: (i) => {
          if (i.desired === 'deleted') return `${i.name} is being deleted`;
          if (extended(i) > now + maxLease)
            return `a lease can reach at most ${formatDuration(maxLease)} from now (until ${formatUtc(now + maxLease)}); ${i.name}'s lease ends ${formatUtc(i.leaseEndsAt)}`;
          return undefined;
        },
        patch: (i) => ({ leaseEndsAt: new Date(extended(i)).toISOString() }),
        reason: `lease extended by ${formatDuration(ms)}`,
      });
    },

    delete(actor: Actor, ref: InstanceRef, reason = 'deleted by the owner'): Result<StoredInstance> {
      return transition(actor, ref, {
        action: 'delete',
        refuse: deleteRefusal,
        patch: () => DELETE_PATCH,
        reason,
      });
    },

    /** The owner says the machine is in use ("I'm still using it"): resets idle detection. */
    markActive(actor: Actor, ref: InstanceRef): Result<StoredInstance> {
      const now = ctx.now().toISOString();
      return transition(actor, ref, {
        action: 'mark-active',
        refuse: (i) => (i.desired === 'deleted' ? `${i.name} is being deleted` : undefined),
        patch: () => ({ lastActiveAt: now, idleWarnedAt: null }),
        reason: 'marked as in use',
      });
    },

    /** Admin: exempt an instance from retention deletion (or lift the exemption). */
    keep(actor: Actor, ref: InstanceRef, keep: boolean): Result<StoredInstance> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      if (!who.value.isAdmin) return fail('Forbidden', 'only admins can exempt instances from retention');
      return transition(actor, ref, {
        action: keep ? 'keep' : 'unkeep',
        refuse: () => undefined,
        patch: () => ({ keep }),
        reason: keep ? 'exempted from retention' : 'exemption lifted',
      });
    },
  };
}
