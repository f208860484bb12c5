import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../provisioner/config/load.ts';
import { extendOptions, planLeaseReminder } from '../../../../provisioner/jobs/lease-reminders.ts';
import { D, H } from '../../../support/durations.ts';

const config = parseConfig({});
if (!config.ok) throw new Error(config.error.message);
const policy = config.value.policy; // reminders 24h and 1h, quiet 21–8, max lease 30d

const instance = (leaseEndsAt: string, over: Record<string, unknown> = {}) => ({
  desired: 'running' as const,
  phase: 'running' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  leaseEndsAt,
  ...over,
});
const at = (iso: string) => new Date(iso);

describe('lease reminders', () => {
  it('sends the 24 h reminder from 24 h before the end, with what happens and when', () => {
    const i = instance('2026-01-06T12:00:00.000Z');
    expect(planLeaseReminder(i, at('2026-01-05T11:59:00Z'), policy, null)).toBeUndefined();
    const plan = planLeaseReminder(i, at('2026-01-05T12:00:00Z'), policy, null);
    expect(plan).toMatchObject({
      kind: 'send',
      endsAt: '2026-01-06T12:00:00.000Z',
      reminder: { offsetMs: D, final: false },
      buttons: { extendOptions: [D, 3 * D, 7 * D], canStop: true, canDelete: true },
    });
    expect(planLeaseReminder(i, at('2026-01-06T11:00:00Z'), policy, null)).toMatchObject({
      kind: 'send',
      reminder: { offsetMs: H, final: true },
    });
    expect(planLeaseReminder(i, at('2026-01-06T12:00:00Z'), policy, null)).toBeUndefined();
  });

  it('holds a non-final reminder during the owner’s quiet hours (Los Angeles vs Tokyo)', () => {
    // 24 h reminder due 2026-01-05 06:00Z = 22:00 in Los Angeles (quiet), 15:00 in Tokyo.
    const i = instance('2026-01-06T06:00:00.000Z');
    expect(planLeaseReminder(i, at('2026-01-05T06:00:00Z'), policy, 'Asia/Tokyo')?.kind).toBe('send');
    expect(planLeaseReminder(i, at('2026-01-05T06:00:00Z'), policy, 'America/Los_Angeles')?.kind).toBe(
      'deferred',
    );
    expect(planLeaseReminder(i, at('2026-01-05T15:59:00Z'), policy, 'America/Los_Angeles')?.kind).toBe(
      'deferred',
    );
    // 08:00 in Los Angeles = 16:00Z: quiet hours over, still before expiry.
    expect(planLeaseReminder(i, at('2026-01-05T16:00:00Z'), policy, 'America/Los_Angeles')).toMatchObject({
      kind: 'send',
      reminder: { offsetMs: D },
    });
    // Tokyo's night is Los Angeles' day.
    const j = instance('2026-01-06T17:00:00.000Z');
    expect(planLeaseReminder(j, at('2026-01-05T17:00:00Z'), policy, 'America/Los_Angeles')?.kind).toBe(
      'send',
    );
    expect(planLeaseReminder(j, at('2026-01-05T17:00:00Z'), policy, 'Asia/Tokyo')?.kind).toBe('deferred');
    expect(planLeaseReminder(j, at('2026-01-05T23:00:00Z'), policy, 'Asia/Tokyo')?.kind).toBe('send');
  });

  it('sends the final reminder even in quiet hours, and only the latest due one', () => {
    const p = { ...policy, leaseReminders: [3 * H, H] };
    // Ends 12:00Z = 04:00 in Los Angeles; the 3 h reminder (01:00 LA) is held, then superseded by the 1 h one.
    const i = instance('2026-01-05T12:00:00.000Z');
    expect(planLeaseReminder(i, at('2026-01-05T09:00:00Z'), p, 'America/Los_Angeles')?.kind).toBe('deferred');
    expect(planLeaseReminder(i, at('2026-01-05T10:59:00Z'), p, 'America/Los_Angeles')?.kind).toBe('deferred');
    expect(planLeaseReminder(i, at('2026-01-05T11:00:00Z'), p, 'America/Los_Angeles')).toMatchObject({
      kind: 'send',
      reminder: { offsetMs: H, final: true },
    });
  });

  it('offers only extensions that stay within now + maxLease', () => {
    const now = Date.parse('2026-01-05T12:00:00Z');
    expect(extendOptions(now + D, now, 30 * D)).toEqual([D, 3 * D, 7 * D]);
    expect(extendOptions(now + 25 * D, now, 30 * D)).toEqual([D, 3 * D]);
    expect(extendOptions(now + 29.5 * D, now, 30 * D)).toEqual([]);
    // A lease already over counts from now (as service.extend does).
    expect(extendOptions(now - 5 * D, now, 2 * D)).toEqual([D]);
    const soon = instance(new Date(now + H).toISOString());
    expect(planLeaseReminder(soon, new Date(now), { ...policy, maxLease: 3 * D }, null)).toMatchObject({
      buttons: { extendOptions: [D] },
    });
  });

  it('reminds only instances meant to run', () => {
    const end = '2026-01-06T12:00:00.000Z';
    const when = at('2026-01-05T13:00:00Z');
    expect(
      planLeaseReminder(instance(end, { desired: 'stopped', phase: 'stopped' }), when, policy, null),
    ).toBeUndefined();
    expect(
      planLeaseReminder(instance(end, { desired: 'deleted', phase: 'deleting' }), when, policy, null),
    ).toBeUndefined();
    expect(planLeaseReminder(instance(end, { phase: 'provisioning' }), when, policy, null)?.kind).toBe(
      'send',
    );
  });
});
