import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { leaseExpired } from '../../../../provisioner/jobs/leader.ts';

const now = Date.parse('2026-01-05T09:00:00Z');
const lease = (spec: V1Lease['spec']): V1Lease => ({ metadata: { name: 'tispace-jobs' }, spec });

describe('jobs Lease expiry', () => {
  it('is free without a holder or a renew time', () => {
    expect(leaseExpired(lease({}), now, 15)).toBe(true);
    expect(leaseExpired(lease({ holderIdentity: '', renewTime: new Date(now) }), now, 15)).toBe(true);
    expect(leaseExpired(lease({ holderIdentity: 'a' }), now, 15)).toBe(true);
  });

  it('is held until leaseDurationSeconds after the last renewal', () => {
    const held = lease({ holderIdentity: 'a', leaseDurationSeconds: 10, renewTime: new Date(now - 9_999) });
    expect(leaseExpired(held, now, 15)).toBe(false);
    expect(leaseExpired(held, now + 1, 15)).toBe(true);
    // Times may come back as strings; the acquire time counts when there is no renewal.
    const acquired = lease({ holderIdentity: 'a', acquireTime: '2026-01-05T08:59:50.000000Z' as never });
    expect(leaseExpired(acquired, now, 15)).toBe(false);
    expect(leaseExpired(acquired, now + 5_000, 15)).toBe(true);
  });
});
