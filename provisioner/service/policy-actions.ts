import { type Result, UserErrorAbort } from '../errors.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import type { ServiceContext } from './context.ts';
import { offboardUser } from './offboard.ts';
import { DELETE_PATCH, deleteRefusal, STOP_PATCH, stopRefusal } from './refusals.ts';

/** Checks and records of a policy action (see stopForPolicy), run inside its transaction. */
export interface PolicyGuard {
  /** Why the action no longer applies to the instance as it is now, or undefined to go ahead. */
  refuse?: (i: StoredInstance) => string | undefined;
  /** Runs in the same transaction (on the same store) after the change, e.g. to record that a notice is owed. */
  also?: (i: StoredInstance, store: Store) => void;
  /** Extra audit details. */
  details?: Record<string, unknown>;
}

/**
 * The scheduled jobs' actions (actor 'system'). Not part of the front ends' API: only the jobs, composed
 * with the provisioner (createJobs), hold them.
 */
export function policyActions(ctx: ServiceContext) {
  const systemTransition = (
    id: string,
    o: {
      action: string;
      reason: string;
      guard: PolicyGuard;
      refuse: (i: StoredInstance) => string | undefined;
      patch: Partial<StoredInstance>;
    },
  ): Result<StoredInstance> => {
    const now = ctx.now().toISOString();
    return ctx.decide(() => {
      const found = ctx.store.instances.get(id);
      if (!found || found.phase === 'deleted')
        throw new UserErrorAbort({ code: 'NotFound', message: `no live instance ${id}` });
      const why = o.refuse(found) ?? o.guard.refuse?.(found);
      if (why) throw new UserErrorAbort({ code: 'InvalidState', message: why });
      const next = ctx.store.instances.update(id, o.patch, now)!;
      ctx.audit('system', o.action, id, o.reason, { policy: true, ...o.guard.details });
      o.guard.also?.(next, ctx.store);
      return next;
    });
  };
  return {
    /**
     * Stops an instance because a policy says so (lease ended, idle). Audited with actor 'system' and the
     * reason. `guard.refuse` re-checks the instance inside the transaction (a run that lost a race does
     * nothing); `guard.also` runs in the same transaction (the jobs record what they did there).
     */
    stopForPolicy(id: string, reason: string, guard: PolicyGuard = {}): Result<StoredInstance> {
      return systemTransition(id, { action: 'stop', reason, guard, refuse: stopRefusal, patch: STOP_PATCH });
    },

    /** Deletes an instance by policy (retention); the reconciler snapshots the disk before it goes. */
    deleteForPolicy(id: string, reason: string, guard: PolicyGuard = {}): Result<StoredInstance> {
      return systemTransition(id, {
        action: 'delete',
        reason,
        guard,
        refuse: deleteRefusal,
        patch: DELETE_PATCH,
      });
    },

    /** The owner left the workspace (directory job): as the user_change event does. */
    offboard: (userId: string, reason: string): StoredInstance[] => offboardUser(ctx, userId, reason),
  };
}

export type PolicyActions = ReturnType<typeof policyActions>;
