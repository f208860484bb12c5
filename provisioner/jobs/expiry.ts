import type { Instance } from '../domain/instance.ts';
import { formatUtc } from '../domain/utc.ts';

// Lease expiry (pure): a lease that has passed stops the instance (the disk is kept; the owner can start it).

/** Ledger kind recorded in the same transaction as the stop; the notice is owed while it is unmatched. */
export const STOP_EXPIRED = 'stop-expired';
export const LEASE_EXPIRED_NOTICE = 'lease-expired';

export const leaseExpired = (i: Pick<Instance, 'desired' | 'leaseEndsAt'>, now: Date): boolean =>
  i.desired === 'running' && Date.parse(i.leaseEndsAt) <= now.getTime();

/**
 * Claim key of one expiry stop: the lease end it was for and when it stopped. An owner who starts the
 * instance again without extending is stopped again — and told again (a new key), never silently.
 */
export const expiryKey = (i: Pick<Instance, 'leaseEndsAt'>, now: Date): string =>
  `${new Date(i.leaseEndsAt).toISOString()}@${now.toISOString()}`;

export const expiryReason = (i: Pick<Instance, 'leaseEndsAt'>): string =>
  `lease ended ${formatUtc(i.leaseEndsAt)}`;

/** Why a planned expiry stop no longer applies (re-checked inside the stopping transaction). */
export function expiryRefusal(
  fresh: Pick<Instance, 'desired' | 'leaseEndsAt'>,
  planned: Pick<Instance, 'leaseEndsAt'>,
  now: Date,
): string | undefined {
  if (fresh.leaseEndsAt !== planned.leaseEndsAt) return 'the lease was changed meanwhile';
  if (!leaseExpired(fresh, now)) return 'no longer running on an expired lease';
  return undefined;
}
