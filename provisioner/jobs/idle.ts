import type { TiSpaceConfig } from '../config/schema.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { ActivitySample, SshSignal } from './activity-signals.ts';
import { formatLocalTime, formatSpan } from './time.ts';

// Idle detection (pure). The idle clock starts at the latest of: last activity (lastActiveAt), the time the
// instance became ready (a restarted instance starts fresh), its creation. Activity — CPU at or above the
// threshold, an open SSH session, a session newer than the clock — restarts it. So does a sample that cannot
// be taken: an unavailable signal never counts as idle, and idleness never grows across a period nobody
// could observe.

/** Ledger kind recorded in the same transaction as the idle stop; the notice is owed while unmatched. */
export const STOP_IDLE = 'stop-idle';
export const IDLE_STOPPED_NOTICE = 'idle-stopped';

type Policy = Pick<TiSpaceConfig['policy'], 'idleThreshold' | 'idleGrace' | 'idleCpuPercent'>;

type IdleInstance = Pick<
  StoredInstance,
  'desired' | 'phase' | 'lastActiveAt' | 'readyAt' | 'createdAt' | 'idleWarnedAt'
>;

export type IdleDecision =
  /** Not running: idle detection does not apply. */
  | { kind: 'skip' }
  /** In use, or not observable: the idle clock restarts at `lastActiveAt` (and any warning is void). */
  | { kind: 'touch'; lastActiveAt: string; why: string }
  /** Idle, but not for long enough yet. */
  | { kind: 'idle'; idleForMs: number; evidence: string }
  /** Idle past the threshold and not warned yet: warn, stop at `stopAt` unless it gets used. */
  | { kind: 'warn'; idleForMs: number; evidence: string; stopAt: string }
  /** Warned; the grace runs until `stopAt`. */
  | { kind: 'grace'; evidence: string; stopAt: string }
  /** Warned, the grace is over and it is still idle: stop. */
  | { kind: 'stop'; evidence: string; warnedAt: string };

const ms = (iso: string | null): number => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);

/** When the current idle stretch began. */
export const idleSince = (i: IdleInstance): number =>
  Math.max(ms(i.lastActiveAt), ms(i.readyAt), ms(i.createdAt));

/** The warning of the current idle stretch, if one was given (a warning older than the stretch is void). */
export const currentWarning = (i: IdleInstance): number | undefined => {
  const warned = ms(i.idleWarnedAt);
  return Number.isFinite(warned) && warned >= idleSince(i) ? warned : undefined;
};

const percent = (p: number): string => `${Number(p.toFixed(1))} %`;

/** "CPU under 2 % for 6 h, no SSH session since 09:12" (times in the owner's zone). */
export function idleEvidence(
  idleForMs: number,
  cpuThreshold: number,
  ssh: SshSignal,
  now: Date,
  tz: string | null,
): string {
  const cpu = `CPU under ${percent(cpuThreshold)} for ${formatSpan(idleForMs)}`;
  if (!ssh.available) return cpu;
  if (!ssh.lastSessionAt) return `${cpu}, no SSH session seen`;
  return `${cpu}, no SSH session since ${formatLocalTime(new Date(ssh.lastSessionAt), now, tz)}`;
}

/** "1 SSH session open since 10:02", "2 SSH sessions open since Jan 3 09:12" (the owner's zone). */
export function openSessionsText(
  ssh: Extract<SshSignal, { available: true }>,
  now: Date,
  tz: string | null,
): string {
  const n = ssh.activeSessions;
  const since = ssh.openSince ? ` since ${formatLocalTime(new Date(ssh.openSince), now, tz)}` : '';
  return `${n} SSH session${n === 1 ? '' : 's'} open${since}`;
}

export function decideIdle(
  instance: IdleInstance,
  sample: ActivitySample,
  now: Date,
  policy: Policy,
  tz: string | null,
): IdleDecision {
  if (instance.desired !== 'running' || instance.phase !== 'running') return { kind: 'skip' };
  const nowIso = now.toISOString();
  const { cpu, ssh } = sample;
  if (!cpu.available)
    return {
      kind: 'touch',
      lastActiveAt: nowIso,
      why: `activity unknown (${cpu.reason}); not counted as idle`,
    };
  if (cpu.percent >= policy.idleCpuPercent)
    return {
      kind: 'touch',
      lastActiveAt: nowIso,
      why: `CPU ${percent(cpu.percent)} (threshold ${percent(policy.idleCpuPercent)})`,
    };
  if (ssh.available && ssh.activeSessions > 0)
    return { kind: 'touch', lastActiveAt: nowIso, why: openSessionsText(ssh, now, tz) };
  const since = idleSince(instance);
  if (ssh.available && ssh.lastSessionAt && Date.parse(ssh.lastSessionAt) > since) {
    const at = Math.min(Date.parse(ssh.lastSessionAt), now.getTime());
    return {
      kind: 'touch',
      lastActiveAt: new Date(at).toISOString(),
      why: 'SSH session since the last sample',
    };
  }
  const idleForMs = Math.max(0, now.getTime() - since);
  const evidence = idleEvidence(idleForMs, policy.idleCpuPercent, ssh, now, tz);
  const warned = currentWarning(instance);
  if (warned === undefined) {
    if (idleForMs < policy.idleThreshold) return { kind: 'idle', idleForMs, evidence };
    return {
      kind: 'warn',
      idleForMs,
      evidence,
      stopAt: new Date(now.getTime() + policy.idleGrace).toISOString(),
    };
  }
  const stopAt = warned + policy.idleGrace;
  if (now.getTime() < stopAt) return { kind: 'grace', evidence, stopAt: new Date(stopAt).toISOString() };
  return { kind: 'stop', evidence, warnedAt: new Date(warned).toISOString() };
}
