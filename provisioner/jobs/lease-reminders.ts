import type { TiSpaceConfig } from '../config/schema.ts';
import type { Instance } from '../domain/instance.ts';
import type { ReminderButtons } from '../notifier.ts';
import { type DueReminder, latestDueReminder } from './reminder-schedule.ts';
import { inQuietHours } from './time.ts';

// Lease reminders (pure): before a lease ends, tell the owner what will happen and when.

const DAY = 86_400_000;
/** Extension choices the reminder offers; only those that stay within now + maxLease are shown. */
const EXTEND_CHOICES: readonly number[] = [DAY, 3 * DAY, 7 * DAY];

type Policy = TiSpaceConfig['policy'];

/** The extensions `service.extend` would accept now (it measures from max(lease end, now)). */
export function extendOptions(
  leaseEndsAt: number,
  now: number,
  maxLease: number,
  choices: readonly number[] = EXTEND_CHOICES,
): number[] {
  const from = Math.max(leaseEndsAt, now);
  return choices.filter((ms) => from + ms <= now + maxLease);
}

export type LeaseReminderPlan =
  | { kind: 'send'; reminder: DueReminder; endsAt: string; buttons: ReminderButtons }
  /** Due, but it is the user's quiet time and this is not the last reminder: sent after quiet hours. */
  | { kind: 'deferred'; reminder: DueReminder; endsAt: string };

/** Only instances meant to run have a lease that matters (a stopped one has nothing to stop). */
const hasLiveLease = (i: Pick<Instance, 'desired' | 'phase'>): boolean =>
  i.desired === 'running' && i.phase !== 'deleting' && i.phase !== 'deleted';

/** The lease reminder due now for this instance, if any; `tz` is the owner's zone (null = UTC). */
export function planLeaseReminder(
  instance: Pick<Instance, 'desired' | 'phase' | 'leaseEndsAt' | 'createdAt'>,
  now: Date,
  policy: Pick<Policy, 'leaseReminders' | 'maxLease' | 'quietHours'>,
  tz: string | null,
): LeaseReminderPlan | undefined {
  if (!hasLiveLease(instance)) return undefined;
  const endsAt = Date.parse(instance.leaseEndsAt);
  const reminder = latestDueReminder(endsAt, policy.leaseReminders, now.getTime(), {
    armedAt: Date.parse(instance.createdAt),
  });
  if (!reminder) return undefined;
  if (!reminder.final && inQuietHours(now, tz, policy.quietHours))
    return { kind: 'deferred', reminder, endsAt: instance.leaseEndsAt };
  return {
    kind: 'send',
    reminder,
    endsAt: instance.leaseEndsAt,
    buttons: {
      extendOptions: extendOptions(endsAt, now.getTime(), policy.maxLease),
      canStop: true,
      canDelete: true,
    },
  };
}
