import { formatDuration } from '../domain/duration.ts';
import { formatUtc } from '../domain/utc.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import { type JobContext, ownerZone } from './job-context.ts';
import { plannedAction, type Step } from './plan.ts';
import { finalOffset, reminderKey } from './reminder-schedule.ts';
import {
  DELETE_RETENTION,
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
  const finalSentAt = (i: StoredInstance): number | undefined => {
    const last = finalOffset(policy.retentionReminders);
    if (last === undefined) return undefined;
    const at = store.reminders.sentAt(
      i.id,
      RETENTION_REMINDER,
      reminderKey(retentionDeadline(i, policy), last),
    );
    return at ? Date.parse(at) : undefined;
  };
  const plan = (i: StoredInstance, tz = ownerZone(store, i.ownerId)) =>
    planRetention(i, now, policy, tz, finalSentAt(i));
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
        run: () =>
          notices.sendClaimed(i.id, RETENTION_REMINDER, key, now, (fresh) => {
            const again = plan(fresh);
            if (again?.kind !== 'remind' || again.reminder.key !== key) return undefined;
            return {
              kind: 'retention-reminder',
              instance: fresh,
              deleteAt: again.deleteAt,
              final: again.reminder.final,
            };
          }),
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
