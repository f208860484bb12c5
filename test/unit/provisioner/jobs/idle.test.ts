import { describe, expect, it } from 'vitest';
import type { ActivitySample } from '../../../../provisioner/jobs/activity-signals.ts';
import { currentWarning, decideIdle, idleEvidence, idleSince } from '../../../../provisioner/jobs/idle.ts';
import { H } from '../../../support/durations.ts';

const policy = { idleThreshold: 6 * H, idleGrace: 2 * H, idleCpuPercent: 2 };

const running = (over: Record<string, unknown> = {}) => ({
  desired: 'running' as const,
  phase: 'running' as const,
  createdAt: '2026-01-05T00:00:00.000Z',
  readyAt: '2026-01-05T00:05:00.000Z',
  lastActiveAt: '2026-01-05T03:00:00.000Z' as string | null,
  idleWarnedAt: null as string | null,
  ...over,
});
const idle = (
  percent = 0.5,
  ssh: ActivitySample['ssh'] = { available: false, reason: 'none' },
): ActivitySample => ({
  cpu: { available: true, percent },
  ssh,
});
const unavailable: ActivitySample = {
  cpu: { available: false, reason: 'metrics API missing' },
  ssh: { available: false, reason: 'none' },
};
const at = (iso: string) => new Date(iso);

describe('idle detection', () => {
  it('measures idleness from the latest of activity, readiness and creation', () => {
    expect(idleSince(running())).toBe(Date.parse('2026-01-05T03:00:00Z'));
    expect(idleSince(running({ lastActiveAt: null }))).toBe(Date.parse('2026-01-05T00:05:00Z'));
    // Restarted after a stop: the old activity time no longer counts.
    expect(idleSince(running({ readyAt: '2026-01-05T05:00:00.000Z' }))).toBe(
      Date.parse('2026-01-05T05:00:00Z'),
    );
  });

  it('is idle below the threshold, warns at idleThreshold with stopAt = now + idleGrace', () => {
    expect(decideIdle(running(), idle(), at('2026-01-05T08:59:00Z'), policy, null)).toMatchObject({
      kind: 'idle',
    });
    expect(decideIdle(running(), idle(), at('2026-01-05T09:00:00Z'), policy, null)).toEqual({
      kind: 'warn',
      idleForMs: 6 * H,
      evidence: 'CPU under 2 % for 6 h',
      stopAt: '2026-01-05T11:00:00.000Z',
    });
  });

  it('stops only after the grace, if still idle', () => {
    const warned = running({ idleWarnedAt: '2026-01-05T09:00:00.000Z' });
    expect(currentWarning(warned)).toBe(Date.parse('2026-01-05T09:00:00Z'));
    expect(decideIdle(warned, idle(), at('2026-01-05T10:59:00Z'), policy, null)).toMatchObject({
      kind: 'grace',
      stopAt: '2026-01-05T11:00:00.000Z',
    });
    expect(decideIdle(warned, idle(), at('2026-01-05T11:00:00Z'), policy, null)).toEqual({
      kind: 'stop',
      evidence: 'CPU under 2 % for 8 h',
      warnedAt: '2026-01-05T09:00:00.000Z',
    });
    // Used again during the grace: activity restarts the clock.
    expect(decideIdle(warned, idle(35), at('2026-01-05T10:00:00Z'), policy, null)).toEqual({
      kind: 'touch',
      lastActiveAt: '2026-01-05T10:00:00.000Z',
      why: 'CPU 35 % (threshold 2 %)',
    });
  });

  it('voids a warning older than the current idle stretch ("I’m still using it", a restart)', () => {
    const reset = running({
      idleWarnedAt: '2026-01-05T09:00:00.000Z',
      lastActiveAt: '2026-01-05T09:30:00.000Z',
    });
    expect(currentWarning(reset)).toBeUndefined();
    expect(decideIdle(reset, idle(), at('2026-01-05T11:30:00Z'), policy, null).kind).toBe('idle');
    expect(decideIdle(reset, idle(), at('2026-01-05T15:30:00Z'), policy, null).kind).toBe('warn');
  });

  it('counts CPU at the threshold as activity', () => {
    expect(decideIdle(running(), idle(2), at('2026-01-06T00:00:00Z'), policy, null).kind).toBe('touch');
    expect(decideIdle(running(), idle(1.99), at('2026-01-06T00:00:00Z'), policy, null).kind).toBe('warn');
  });

  it('never counts an unavailable signal as idle, and restarts the clock instead of advancing it', () => {
    const long = running({
      lastActiveAt: '2026-01-01T00:00:00.000Z',
      idleWarnedAt: '2026-01-05T01:00:00.000Z',
    });
    const d = decideIdle(long, unavailable, at('2026-01-05T12:00:00Z'), policy, null);
    expect(d).toEqual({
      kind: 'touch',
      lastActiveAt: '2026-01-05T12:00:00.000Z',
      why: 'activity unknown (metrics API missing); not counted as idle',
    });
  });

  it('treats SSH sessions as activity', () => {
    const now = at('2026-01-05T12:00:00Z');
    const open = idle(0, {
      available: true,
      activeSessions: 1,
      openSince: '2026-01-05T10:02:00.000Z',
      lastSessionAt: '2026-01-05T11:59:30.000Z',
    });
    expect(decideIdle(running(), open, now, policy, null)).toEqual({
      kind: 'touch',
      lastActiveAt: now.toISOString(),
      why: '1 SSH session open since 10:02',
    });
    // In the owner's zone, and counted.
    const two = idle(0, {
      available: true,
      activeSessions: 2,
      openSince: '2026-01-05T10:02:00.000Z',
      lastSessionAt: null,
    });
    expect(decideIdle(running(), two, now, policy, 'Europe/Berlin')).toMatchObject({
      why: '2 SSH sessions open since 11:02',
    });
    // Open since yesterday: the day is named.
    const overnight = idle(0, {
      available: true,
      activeSessions: 1,
      openSince: '2026-01-04T22:30:00.000Z',
      lastSessionAt: null,
    });
    expect(decideIdle(running(), overnight, now, policy, null)).toMatchObject({
      why: '1 SSH session open since Jan 4 22:30',
    });
    // A session since the clock started moves it to that session.
    const recent = idle(0, {
      available: true,
      activeSessions: 0,
      openSince: null,
      lastSessionAt: '2026-01-05T09:12:00.000Z',
    });
    expect(decideIdle(running(), recent, now, policy, null)).toMatchObject({
      kind: 'touch',
      lastActiveAt: '2026-01-05T09:12:00.000Z',
    });
  });

  it('lets CPU alone decide when the SSH signal is unavailable (no gateway reported lately)', () => {
    const stale = idle(0.1, { available: false, reason: 'no SSH gateway has reported for 2 min' });
    const d = decideIdle(running(), stale, at('2026-01-05T09:30:00Z'), policy, null);
    expect(d).toMatchObject({ kind: 'warn', evidence: 'CPU under 2 % for 6 h 30 min' });
    expect(
      decideIdle(
        running(),
        { ...stale, cpu: { available: true, percent: 5 } },
        at('2026-01-05T09:30:00Z'),
        policy,
        null,
      ),
    ).toMatchObject({
      kind: 'touch',
      why: 'CPU 5 % (threshold 2 %)',
    });
  });

  it('gives the evidence in the owner’s time zone', () => {
    const ssh = {
      available: true as const,
      activeSessions: 0,
      openSince: null,
      lastSessionAt: '2026-01-05T09:12:00.000Z',
    };
    const now = at('2026-01-05T15:12:00Z');
    expect(idleEvidence(6 * H, 2, ssh, now, null)).toBe('CPU under 2 % for 6 h, no SSH session since 09:12');
    expect(idleEvidence(6 * H, 2, ssh, now, 'Asia/Tokyo')).toBe(
      'CPU under 2 % for 6 h, no SSH session since Jan 5 18:12',
    );
    expect(idleEvidence(6.5 * H, 2.5, { ...ssh, lastSessionAt: null }, now, null)).toBe(
      'CPU under 2.5 % for 6 h 30 min, no SSH session seen',
    );
    expect(idleEvidence(6 * H, 2, { available: false, reason: 'none' }, now, null)).toBe(
      'CPU under 2 % for 6 h',
    );
    const lastSeen = running({ lastActiveAt: '2026-01-05T09:12:00.000Z' });
    const d = decideIdle(lastSeen, idle(0.1, ssh), at('2026-01-05T15:12:00Z'), policy, 'America/Los_Angeles');
    expect(d).toMatchObject({ kind: 'warn', evidence: 'CPU under 2 % for 6 h, no SSH session since 01:12' });
  });

  it('does not apply to instances that are not running', () => {
    expect(
      decideIdle(running({ phase: 'provisioning' }), idle(), at('2026-01-06T00:00:00Z'), policy, null),
    ).toEqual({
      kind: 'skip',
    });
    expect(
      decideIdle(running({ desired: 'stopped' }), idle(), at('2026-01-06T00:00:00Z'), policy, null).kind,
    ).toBe('skip');
  });
});
