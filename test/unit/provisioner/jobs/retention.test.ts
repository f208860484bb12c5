import { describe, expect, it } from 'vitest';
import { planRetention, retentionRefusal } from '../../../../provisioner/jobs/retention.ts';
import { D } from '../../../support/durations.ts';

const policy = {
  retention: 14 * D,
  retentionReminders: [3 * D, D],
  quietHours: { start: 21, end: 8 },
  finalReminderAttempts: 3,
};
const stoppedAt = '2026-01-01T12:00:00.000Z'; // retention ends 2026-01-15 12:00Z
const stopped = (over: Record<string, unknown> = {}) => ({
  desired: 'stopped' as const,
  phase: 'stopped' as const,
  stoppedAt,
  keep: false,
  ...over,
});
const at = (iso: string) => new Date(iso);

describe('retention', () => {
  it('reminds 3 d and 1 d before the deletion date', () => {
    expect(planRetention(stopped(), at('2026-01-12T11:59:00Z'), policy, null, undefined)).toBeUndefined();
    expect(planRetention(stopped(), at('2026-01-12T12:00:00Z'), policy, null, undefined)).toMatchObject({
      kind: 'remind',
      deleteAt: '2026-01-15T12:00:00.000Z',
      reminder: { offsetMs: 3 * D, final: false, key: '2026-01-15T12:00:00.000Z/3d' },
    });
    expect(planRetention(stopped(), at('2026-01-14T12:00:00Z'), policy, null, undefined)).toMatchObject({
      kind: 'remind',
      deleteAt: '2026-01-15T12:00:00.000Z',
      reminder: { offsetMs: D, final: true },
    });
  });

  it('holds the 3 d reminder in quiet hours (Los Angeles), never the final one', () => {
    // 2026-01-12 12:00Z = 04:00 in Los Angeles.
    expect(
      planRetention(stopped(), at('2026-01-12T12:00:00Z'), policy, 'America/Los_Angeles', undefined)?.kind,
    ).toBe('deferred');
    // 21:00 in Tokyo is quiet too; 08:00 there (23:00Z) is not.
    expect(planRetention(stopped(), at('2026-01-12T12:00:00Z'), policy, 'Asia/Tokyo', undefined)?.kind).toBe(
      'deferred',
    );
    expect(planRetention(stopped(), at('2026-01-12T23:00:00Z'), policy, 'Asia/Tokyo', undefined)?.kind).toBe(
      'remind',
    );
    expect(
      planRetention(stopped(), at('2026-01-14T12:00:00Z'), policy, 'America/Los_Angeles', undefined)?.kind,
    ).toBe('remind');
  });

  it('deletes after retention once the final reminder went out at least 1 d before', () => {
    const sent = Date.parse('2026-01-14T12:05:00Z');
    expect(planRetention(stopped(), at('2026-01-15T12:00:00Z'), policy, null, sent)).toMatchObject({
      kind: 'waiting',
    });
    expect(planRetention(stopped(), at('2026-01-15T12:05:00Z'), policy, null, sent)).toMatchObject({
      kind: 'delete',
    });
  });

  it('never deletes without a final reminder: a late one pushes the deletion back', () => {
    // The jobs were down: at the deadline no final reminder has gone out.
    const late = planRetention(stopped(), at('2026-01-16T00:00:00Z'), policy, null, undefined);
    expect(late).toMatchObject({
      kind: 'remind',
      deleteAt: '2026-01-17T00:00:00.000Z',
      reminder: { final: true, key: '2026-01-15T12:00:00.000Z/1d' },
    });
    const sent = Date.parse('2026-01-16T00:00:00Z');
    expect(planRetention(stopped(), at('2026-01-16T23:00:00Z'), policy, null, sent)?.kind).toBe('waiting');
    expect(planRetention(stopped(), at('2026-01-17T00:00:00Z'), policy, null, sent)?.kind).toBe('delete');
    // Sent late but before the deadline: the reminder promises a full day.
    expect(planRetention(stopped(), at('2026-01-15T06:00:00Z'), policy, null, undefined)).toMatchObject({
      deleteAt: '2026-01-16T06:00:00.000Z',
    });
  });

  it('gives up an undeliverable final reminder after 3 failed runs and deletes on schedule', () => {
    const t = at('2026-01-14T13:00:00Z');
    expect(planRetention(stopped(), t, policy, null, undefined, { failures: 2 })?.kind).toBe('remind');
    expect(planRetention(stopped(), t, policy, null, undefined, { failures: 3 })).toMatchObject({
      kind: 'undeliverable',
      failures: 3,
      deleteAt: '2026-01-15T12:00:00.000Z',
      reminder: { final: true, key: '2026-01-15T12:00:00.000Z/1d' },
    });
    const told = { failures: 3, reportedAt: t.getTime() };
    expect(
      planRetention(stopped(), at('2026-01-15T11:59:00Z'), policy, null, undefined, told),
    ).toBeUndefined();
    expect(planRetention(stopped(), at('2026-01-15T12:00:00Z'), policy, null, undefined, told)).toMatchObject(
      {
        kind: 'delete',
        reason: expect.stringMatching(/final reminder undeliverable/),
      },
    );
    // Past the deadline with no reminder ever delivered: deleted at once once the admins are told.
    expect(
      planRetention(stopped(), at('2026-01-16T00:00:00Z'), policy, null, undefined, { failures: 3 }),
    ).toMatchObject({ kind: 'undeliverable', deleteAt: '2026-01-16T00:00:00.000Z' });
  });

  it('deletes at the deadline when no reminders are configured', () => {
    const none = { ...policy, retentionReminders: [] };
    expect(planRetention(stopped(), at('2026-01-15T11:59:00Z'), none, null, undefined)).toBeUndefined();
    expect(planRetention(stopped(), at('2026-01-15T12:00:00Z'), none, null, undefined)?.kind).toBe('delete');
  });

  it('exempts kept, running and not yet stopped instances', () => {
    const late = at('2026-02-01T00:00:00Z');
    expect(planRetention(stopped({ keep: true }), late, policy, null, undefined)).toBeUndefined();
    expect(planRetention(stopped({ desired: 'running' }), late, policy, null, undefined)).toBeUndefined();
    expect(planRetention(stopped({ phase: 'stopping' }), late, policy, null, undefined)).toBeUndefined();
    expect(planRetention(stopped({ stoppedAt: null }), late, policy, null, undefined)).toBeUndefined();
  });

  it('refuses a planned delete if the instance changed meanwhile', () => {
    expect(retentionRefusal(stopped(), { stoppedAt })).toBeUndefined();
    expect(retentionRefusal(stopped({ keep: true }), { stoppedAt })).toMatch(/kept/);
    expect(retentionRefusal(stopped({ stoppedAt: '2026-01-10T00:00:00.000Z' }), { stoppedAt })).toMatch(
      /again/,
    );
  });
});
