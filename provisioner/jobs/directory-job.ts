import { type DirectoryMember, type DirectorySource, decideDirectory, directoryChecks } from './directory.ts';
import type { JobContext } from './job-context.ts';
import type { Step } from './plan.ts';

/**
 * The directory job: lists the workspace's members, looks up the users it does not list, and offboards
 * the deactivated and the removed (directory.ts decides) exactly as the user_change event does. A failed
 * listing offboards nobody; a failed lookup leaves that user alone. Both are logged and retried next run.
 */
export async function planDirectory(
  ctx: JobContext,
  directory: DirectorySource | undefined,
  _now: Date,
): Promise<Step[]> {
  const { store, service, notices, log } = ctx;
  if (!directory) return [];
  const users = store.users.list().filter(directoryChecks);
  if (users.length === 0) return [];
  const listed = new Map<string, DirectoryMember>();
  try {
    for await (const m of directory.members()) listed.set(m.id, m);
  } catch (error) {
    log.warn({ err: error }, 'directory: cannot list the workspace members; nobody offboarded this run');
    return [];
  }
  const steps: Step[] = [];
  for (const user of users) {
    let entry: DirectoryMember | 'not-found' | undefined = listed.get(user.userId);
    if (!entry)
      try {
        entry = await directory.lookup(user.userId);
      } catch (error) {
        log.warn({ err: error, userId: user.userId }, 'directory: lookup failed; user left alone this run');
      }
    const decision = decideDirectory(user, entry);
    if (decision.kind !== 'offboard') continue;
    steps.push({
      run: async () => {
        // The user_change event (or an admin) may have been first.
        if (store.users.get(user.userId)?.deactivatedAt) return false;
        const stopped = service.offboard(user.userId, decision.reason);
        log.info({ userId: user.userId, stopped: stopped.map((i) => i.id) }, 'directory: user offboarded');
        const told = await notices.deliver(user.userId, {
          kind: 'offboarded',
          userId: user.userId,
          stopped,
          reason: decision.reason,
        });
        if (!told)
          throw new Error(`${user.userId} offboarded (${decision.reason}) but no admin could be told`);
        return true;
      },
    });
  }
  return steps;
}
