import { formatDuration } from '../domain/duration.ts';
import { formatUtc } from '../domain/utc.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import { type JobContext, ownerZone } from './job-context.ts';
import { plannedAction, type Step } from './plan.ts';
import { finalOffset, reminderKey } from './reminder-schedule.ts';
import {
  DELETE_RETENTION,
  FINAL_REMINDER_FAILED,
  FINAL_REMINDER_UNDELIVERABLE,
  type FinalDelivery,
  planRetention,
  RETENTION_REMINDER,
  retentionApplies,
  retentionDeadline,
  retentionKey,
  retentionRefusal,
  SNAPSHOT_NOTICE,
} from './retention.ts';

/**
 * The retention job: remind, then delete instances stopped past retention (retention.ts decides), and tell
 * owners until when the final snapshot can be restored.
 */
export function planRetentionJob(ctx: JobContext, now: Date): Step[] {
  const { store, service, config, notices } = ctx;
  const { policy } = config;
  const steps: Step[] = notices.owed(
    'retention',
    now,
    DELETE_RETENTION,
    SNAPSHOT_NOTICE,
    policy.snapshotGrace,
    (i) =>
      // Once the disk is gone (from then on it can be restored), while the snapshot is kept.
      i.phase === 'deleted' &&
      i.snapshotName &&
      i.snapshotExpiresAt &&
      Date.parse(i.snapshotExpiresAt) > now.getTime()
        ? {
            action: 'notify-snapshot',
            reason: `disk deleted, snapshot ${i.snapshotName} kept; restorable until ${formatUtc(i.snapshotExpiresAt)}`,
            notice: { kind: 'snapshot-taken', instance: i, restoreUntil: i.snapshotExpiresAt },
          }
        : undefined,
  );
  const finalKey = (i: StoredInstance): string | undefined => {
    const last = finalOffset(policy.retentionReminders);
    return last === undefined ? undefined : reminderKey(retentionDeadline(i, policy), last);
  };
  const finalSentAt = (i: StoredInstance): number | undefined => {
    const key = finalKey(i);
    const at = key && store.reminders.sentAt(i.id, RETENTION_REMINDER, key);
    return at ? Date.parse(at) : undefined;
  };
  const delivery = (i: StoredInstance): FinalDelivery => {
    const key = finalKey(i);
    if (key === undefined) return { failures: 0 };
    const reported = store.reminders.sentAt(i.id, FINAL_REMINDER_UNDELIVERABLE, key);
    return {
      failures: store.reminders.count(i.id, FINAL_REMINDER_FAILED, `${key}#`),
      reportedAt: reported ? Date.parse(reported) : undefined,
    };
  };
  const plan = (i: StoredInstance, tz = ownerZone(store, i.ownerId)) =>
    planRetention(i, now, policy, tz, finalSentAt(i), delivery(i));
  const zones = store.users.timeZones();
  for (const i of store.instances.listLive()) {
    if (!retentionApplies(i)) continue;
    const p = plan(i, zones.get(i.ownerId) ?? null);
    if (p?.kind === 'remind') {
      const { key, offsetMs, final } = p.reminder;
      if (store.reminders.sent(i.id, RETENTION_REMINDER, key)) continue;
      steps.push({
        action: plannedAction(
          'retention',
          i,
          'remind-retention',
          `deletion ${formatUtc(p.deleteAt)}; the ${formatDuration(offsetMs)} reminder${final ? ' (final)' : ''}`,
        ),
        run: async () => {
          try {
            return await notices.sendClaimed(i.id, RETENTION_REMINDER, key, now, (fresh) => {
              const again = plan(fresh);
              if (again?.kind !== 'remind' || again.reminder.key !== key) return undefined;
              return {
                kind: 'retention-reminder',
                instance: fresh,
                deleteAt: again.deleteAt,
                final: again.reminder.final,
              };
            });
          } catch (error) {
            // Counted per run: after policy.finalReminderAttempts the admins are told and retention proceeds.
            if (final)
              store.reminders.claim(
                i.id,
                FINAL_REMINDER_FAILED,
                `${key}#${now.toISOString()}`,
                now.toISOString(),
              );
            throw error;
          }
        },
      });
    } else if (p?.kind === 'undeliverable') {
      const { key } = p.reminder;
      steps.push({
        action: plannedAction(
          'retention',
          i,
          'report-undeliverable',
          `final reminder not delivered in ${p.failures} runs; deletion ${formatUtc(p.deleteAt)} as scheduled`,
        ),
        run: async () => {
          if (!store.reminders.claim(i.id, FINAL_REMINDER_UNDELIVERABLE, key, now.toISOString()))
            return false;
          try {
            await notices.alertAdmins(
              `TiSpace could not deliver the final retention reminder for ${i.name} (${i.id}) to its owner <@${i.ownerId}> in ${p.failures} attempts. ` +
                `It is deleted as scheduled at ${formatUtc(p.deleteAt)}; a snapshot of its disk is kept for ${formatDuration(policy.snapshotGrace)} and can be restored.`,
            );
          } catch (error) {
            store.reminders.release(i.id, FINAL_REMINDER_UNDELIVERABLE, key);
            throw error;
          }
          return true;
        },
      });
    } else if (p?.kind === 'delete') {
      const key = retentionKey(i);
      steps.push({
        action: plannedAction('retention', i, 'delete-retention', p.reason),
        run: async () => {
          const deleted = service.deleteForPolicy(i.id, `retention: ${p.reason}`, {
            refuse: (fresh) => retentionRefusal(fresh, i),
            also: (_, s) => s.reminders.claim(i.id, DELETE_RETENTION, key, now.toISOString()),
            details: { policy: 'retention', stoppedAt: i.stoppedAt },
          });
          return deleted.ok;
        },
      });
    }
  }
  return steps;
}
