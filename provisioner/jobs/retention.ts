import type { TiSpaceConfig } from '../config/schema.ts';
import type { Instance } from '../domain/instance.ts';
import { formatUtc } from '../domain/utc.ts';
import { type DueReminder, finalOffset, latestDueReminder, reminderKey } from './reminder-schedule.ts';
import { inQuietHours } from './time.ts';

// Retention (pure): an instance stopped for longer than policy.retention is deleted — after reminders, the
// final one at least its offset before the deletion — unless an admin exempted it (keep). Deleting only sets
// the desired state: the reconciler snapshots the disk and deletes it only once the snapshot is ready.

export const RETENTION_REMINDER = 'retention-reminder';
/** Ledger kind recorded in the same transaction as the delete; the snapshot notice is owed while unmatched. */
export const DELETE_RETENTION = 'delete-retention';
export const SNAPSHOT_NOTICE = 'snapshot-taken';
/** One claim per run that failed to deliver a final reminder (key: the reminder's key, '#', the run's time). */
export const FINAL_REMINDER_FAILED = 'retention-final-failed';
/** Claimed when the admins are told a final reminder is undeliverable (key: the reminder's key). */
export const FINAL_REMINDER_UNDELIVERABLE = 'retention-final-undeliverable';

type Policy = Pick<
  TiSpaceConfig['policy'],
  'retention' | 'retentionReminders' | 'quietHours' | 'finalReminderAttempts'
>;
type RetainedInstance = Pick<Instance, 'desired' | 'phase' | 'stoppedAt' | 'keep'>;

export const retentionApplies = (i: RetainedInstance): boolean =>
  i.desired === 'stopped' && i.phase === 'stopped' && !!i.stoppedAt && !i.keep;

/** When retention ends (before any delay for a late final reminder). */
export const retentionDeadline = (
  i: Pick<Instance, 'stoppedAt'>,
  policy: Pick<Policy, 'retention'>,
): number => Date.parse(i.stoppedAt ?? '') + policy.retention;

/** Claim key of one retention deletion: the stop it followed. */
export const retentionKey = (i: Pick<Instance, 'stoppedAt'>): string =>
  new Date(i.stoppedAt ?? 0).toISOString();

export type RetentionPlan =
  /** Send this reminder; the deletion is at `deleteAt`. */
  | { kind: 'remind'; reminder: DueReminder; deleteAt: string }
  /** A reminder held back by the owner's quiet hours. */
  | { kind: 'deferred'; reminder: DueReminder; deleteAt: string }
  /**
   * The final reminder failed `failures` runs in a row: tell the admins (once) and stop trying; the deletion
   * proceeds at `deleteAt` (the deadline) as if it had gone out.
   */
  | { kind: 'undeliverable'; reminder: DueReminder; failures: number; deleteAt: string }
  | { kind: 'delete'; reason: string }
  /** Past the deadline but the final reminder has not gone out long enough ago (or at all). */
  | { kind: 'waiting'; reason: string };

/** The final reminder's delivery failures for this deadline (from the claims). */
export interface FinalDelivery {
  /** Runs that failed to deliver it. */
  failures: number;
  /** When the admins were told it is undeliverable (ms since epoch), undefined if not yet. */
  reportedAt?: number | undefined;
}

/**
 * What retention does now. `finalSentAt` is when the final reminder for this deadline went out (from the
 * claim), undefined if it has not; `delivery` counts its failed deliveries.
 */
export function planRetention(
  instance: RetainedInstance,
  now: Date,
  policy: Policy,
  tz: string | null,
  finalSentAt: number | undefined,
  delivery: FinalDelivery = { failures: 0 },
): RetentionPlan | undefined {
  if (!retentionApplies(instance)) return undefined;
  const t = now.getTime();
  const stoppedAt = Date.parse(instance.stoppedAt!);
  const deadline = stoppedAt + policy.retention;
  const last = finalOffset(policy.retentionReminders);
  const stoppedFor = `stopped since ${formatUtc(stoppedAt)}, retention ends ${formatUtc(deadline)}`;
  if (last !== undefined && finalSentAt === undefined) {
    if (delivery.reportedAt !== undefined) {
      if (t < deadline) return undefined;
      return {
        kind: 'delete',
        reason: `${stoppedFor}; final reminder undeliverable (admins told ${formatUtc(delivery.reportedAt)})`,
      };
    }
    if (delivery.failures >= policy.finalReminderAttempts)
      return {
        kind: 'undeliverable',
        reminder: { offsetMs: last, dueAt: deadline - last, final: true, key: reminderKey(deadline, last) },
        failures: delivery.failures,
        deleteAt: new Date(Math.max(deadline, t)).toISOString(),
      };
  }
  if (t < deadline) {
    const reminder = latestDueReminder(deadline, policy.retentionReminders, t, {
      armedAt: stoppedAt,
      finalAlways: true,
    });
    if (!reminder) return undefined;
    if (reminder.final && finalSentAt !== undefined) return undefined;
    // The final reminder promises at least its offset: if it goes out late, the deletion waits.
    const deleteAt = new Date(
      reminder.final ? Math.max(deadline, t + reminder.offsetMs) : deadline,
    ).toISOString();
    if (!reminder.final && inQuietHours(now, tz, policy.quietHours))
      return { kind: 'deferred', reminder, deleteAt };
    return { kind: 'remind', reminder, deleteAt };
  }
  if (last === undefined) return { kind: 'delete', reason: stoppedFor };
  if (finalSentAt === undefined)
    return {
      kind: 'remind',
      reminder: { offsetMs: last, dueAt: deadline, final: true, key: reminderKey(deadline, last) },
      deleteAt: new Date(t + last).toISOString(),
    };
  const effective = Math.max(deadline, finalSentAt + last);
  if (t < effective)
    return {
      kind: 'waiting',
      reason: `final reminder went out ${formatUtc(finalSentAt)}; deletion at ${formatUtc(effective)}`,
    };
  return { kind: 'delete', reason: `${stoppedFor}; final reminder sent ${formatUtc(finalSentAt)}` };
}

/** Why a planned retention delete no longer applies (re-checked inside the deleting transaction). */
export function retentionRefusal(
  fresh: RetainedInstance,
  planned: Pick<Instance, 'stoppedAt'>,
): string | undefined {
  if (!retentionApplies(fresh)) return 'no longer stopped past retention (started, deleted or kept)';
  if (fresh.stoppedAt !== planned.stoppedAt) return 'stopped again meanwhile';
  return undefined;
}
