import { formatDuration } from '../domain/duration.ts';
import { formatUtc } from '../domain/utc.ts';
import { type JobContext, ownerZone } from './job-context.ts';
import { planLeaseReminder } from './lease-reminders.ts';
import { plannedAction, type Step } from './plan.ts';

/** Ledger kind of the lease reminders (one claim per instance and reminder key). */
const LEASE_REMINDER = 'lease-reminder';

/** The reminders job: every lease reminder due now (lease-reminders.ts decides), claimed and sent once. */
export function planLeaseReminders(ctx: JobContext, now: Date): Step[] {
  const { store, config, notices } = ctx;
  const steps: Step[] = [];
  const zones = store.users.timeZones();
  for (const i of store.instances.listLive()) {
    const plan = planLeaseReminder(i, now, config.policy, zones.get(i.ownerId) ?? null);
    if (plan?.kind !== 'send' || store.reminders.sent(i.id, LEASE_REMINDER, plan.reminder.key)) continue;
    const { key, offsetMs, final } = plan.reminder;
    steps.push({
      action: plannedAction(
        'reminders',
        i,
        'remind-lease',
        `lease ends ${formatUtc(plan.endsAt)}; the ${formatDuration(offsetMs)} reminder${final ? ' (final)' : ''}`,
      ),
      run: () =>
        notices.sendClaimed(i.id, LEASE_REMINDER, key, now, (fresh) => {
          const again = planLeaseReminder(fresh, now, config.policy, ownerZone(store, fresh.ownerId));
          if (again?.kind !== 'send' || again.reminder.key !== key) return undefined;
          return {
            kind: 'lease-reminder',
            instance: fresh,
            endsAt: again.endsAt,
            buttons: again.buttons,
            final: again.reminder.final,
          };
        }),
    });
  }
  return steps;
}
