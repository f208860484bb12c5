import type { Logger } from 'pino';
import type { JobNotice, Notifier } from '../notifier.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import { type JobKind, type PlannedActionKind, plannedAction, type Step } from './plan.ts';

// Notice delivery of the jobs: exactly once per claim in the store, retried by the next run until delivered.

/** How long a notice owed after a stop is retried before it is given up. */
export const OWED_NOTICE_TTL_MS = 86_400_000;

export interface NoticeDeliveryOptions {
  store: Store;
  /** The front end's notifier, or a getter for it (the front end may plug in later). */
  notifier: Notifier | (() => Notifier);
  log: Logger;
}

export class NoticeDelivery {
  constructor(private readonly o: NoticeDeliveryOptions) {}

  /** Steps for notices owed after a policy action (the ledger `kind` has no `notice` claim yet). */
  owed(
    job: JobKind,
    now: Date,
    kind: string,
    notice: string,
    ttlMs: number,
    build: (
      i: StoredInstance,
    ) => { action: PlannedActionKind; reason: string; notice: JobNotice } | undefined,
  ): Step[] {
    const { store } = this.o;
    const steps: Step[] = [];
    const since = new Date(now.getTime() - ttlMs).toISOString();
    for (const owed of store.reminders.unmatched(kind, notice, since)) {
      const i = store.instances.get(owed.instanceId);
      const planned = i && build(i);
      if (!i || !planned) continue;
      steps.push({
        action: plannedAction(job, i, planned.action, planned.reason),
        run: () => this.sendClaimed(i.id, notice, owed.dueKey, now, (fresh) => build(fresh)?.notice),
      });
    }
    return steps;
  }

  /** Sends a notice owed after an action; a failure is logged and retried by the next run. */
  async sendOwed(
    id: string,
    kind: string,
    key: string,
    now: Date,
    build: (fresh: StoredInstance) => JobNotice | undefined,
  ): Promise<void> {
    try {
      await this.sendClaimed(id, kind, key, now, build);
    } catch (error) {
      this.o.log.warn({ err: error, instance: id, notice: kind }, 'notice not delivered; retried next run');
    }
  }

  /**
   * Claims (instance, kind, key) and sends the notice `build` makes from the instance as it is now (undefined:
   * no longer applies). Exactly once: a claim another run holds means it was sent; an undelivered notice
   * gives its claim back and throws, so the next run tries again.
   */
  async sendClaimed(
    id: string,
    kind: string,
    key: string,
    now: Date,
    build: (fresh: StoredInstance) => JobNotice | undefined,
  ): Promise<boolean> {
    const { store } = this.o;
    const fresh = store.instances.get(id);
    const notice = fresh && build(fresh);
    if (!fresh || !notice) return false;
    if (!store.reminders.claim(id, kind, key, now.toISOString())) return false;
    if (await this.deliver(fresh.ownerId, notice)) return true;
    store.reminders.release(id, kind, key);
    throw new Error(`${kind} notice for ${id} not delivered; retried next run`);
  }

  /** Something admins must know; throws if the front end failed (the caller retries next run). */
  async alertAdmins(text: string): Promise<void> {
    const notifier = typeof this.o.notifier === 'function' ? this.o.notifier() : this.o.notifier;
    await notifier.adminAlert(text);
  }

  /** Hands the notice to the front end; false when it was not delivered (or the notifier threw). */
  async deliver(userId: string, notice: JobNotice): Promise<boolean> {
    const notifier = typeof this.o.notifier === 'function' ? this.o.notifier() : this.o.notifier;
    try {
      return await notifier.notice(userId, notice);
    } catch (error) {
      this.o.log.warn({ err: error, userId, notice: notice.kind }, 'notifier threw');
      return false;
    }
  }
}
