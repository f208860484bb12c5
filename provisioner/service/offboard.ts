import type { StoredInstance } from '../store/instances-repo.ts';
import type { ServiceContext } from './context.ts';

/**
 * The user left the company: stop their machines (disks kept) and block new requests. One function for
 * every path that offboards (the user_change event, the directory job, an admin on the web).
 */
export function offboardUser(ctx: ServiceContext, userId: string, reason: string): StoredInstance[] {
  const { store } = ctx;
  const now = ctx.now().toISOString();
  const stopped = store.durably(() => {
    store.users.deactivate(userId, reason, now);
    const running = store.instances.listByOwner(userId).filter((i) => i.desired === 'running');
    for (const i of running) {
      store.instances.update(i.id, { desired: 'stopped' }, now);
      ctx.audit('system', 'stop', i.id, `owner offboarded: ${reason}`, {});
    }
    return running;
  });
  for (const i of stopped) ctx.wake(i.id);
  return stopped;
}

/**
 * An admin lets an offboarded user back in. Their machines are woken so their Secrets get the user's keys
 * again (an offboarded owner's keys are left out of every Secret).
 */
export function reactivateUser(ctx: ServiceContext, userId: string, adminId: string): void {
  ctx.store.durably(() => {
    ctx.store.users.reactivate(userId);
    ctx.audit(adminId, 'user-reactivated', null, `reactivated by admin ${adminId}`, { userId });
  });
  for (const i of ctx.store.instances.listByOwner(userId)) ctx.wake(i.id);
}
