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
