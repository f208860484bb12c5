import {
  expiryKey,
  expiryReason,
  expiryRefusal,
  LEASE_EXPIRED_NOTICE,
  leaseExpired,
  STOP_EXPIRED,
} from './expiry.ts';
import type { JobContext } from './job-context.ts';
import { OWED_NOTICE_TTL_MS } from './notices.ts';
import { plannedAction, type Step } from './plan.ts';

/** The expiry job: stop every instance whose lease passed (expiry.ts decides), then tell the owner. */
export function planExpiry(ctx: JobContext, now: Date): Step[] {
  const { store, service, notices } = ctx;
  const steps: Step[] = notices.owed(
    'expiry',
    now,
    STOP_EXPIRED,
    LEASE_EXPIRED_NOTICE,
    OWED_NOTICE_TTL_MS,
    (i) =>
      i.desired === 'stopped'
        ? {
            action: 'notify-expired',
            reason: `stopped when the ${expiryReason(i)}`,
            notice: { kind: 'lease-expired', instance: i },
          }
        : undefined,
  );
  for (const i of store.instances.listLive()) {
    if (!leaseExpired(i, now)) continue;
    const key = expiryKey(i, now);
    steps.push({
      action: plannedAction('expiry', i, 'stop-expired', expiryReason(i)),
      run: async () => {
        const stopped = service.stopForPolicy(i.id, `lease expired: ${expiryReason(i)}`, {
          refuse: (fresh) => expiryRefusal(fresh, i, now),
          also: (_, s) => s.reminders.claim(i.id, STOP_EXPIRED, key, now.toISOString()),
          details: { policy: 'lease', leaseEndsAt: i.leaseEndsAt },
        });
        if (!stopped.ok) return false;
        await notices.sendOwed(i.id, LEASE_EXPIRED_NOTICE, key, now, (fresh) =>
          fresh.desired === 'stopped' ? { kind: 'lease-expired', instance: fresh } : undefined,
        );
        return true;
      },
    });
  }
  return steps;
}
