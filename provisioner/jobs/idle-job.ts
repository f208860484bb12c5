import { formatUtc } from '../domain/utc.ts';
import type { RunningInstance, StoredInstance } from '../store/instances-repo.ts';
import type { ActivitySample, ActivitySource } from './activity-signals.ts';
import { decideIdle, IDLE_STOPPED_NOTICE, type IdleDecision, STOP_IDLE } from './idle.ts';
import type { JobContext } from './job-context.ts';
import { OWED_NOTICE_TTL_MS } from './notices.ts';
import { plannedAction, type Step } from './plan.ts';

/** What an instance the activity source did not answer for counts as: unavailable, so never idle. */
const NOT_SAMPLED: ActivitySample = {
  cpu: { available: false, reason: 'no activity sample' },
  ssh: { available: false, reason: 'no activity sample' },
};

/** Whether the instance is still running in the idle stretch it was planned for (re-checked when acting). */
const unchangedSince = (
  f: StoredInstance | undefined,
  planned: Pick<StoredInstance, 'lastActiveAt' | 'idleWarnedAt' | 'readyAt'>,
): f is StoredInstance =>
  !!f &&
  f.desired === 'running' &&
  f.phase === 'running' &&
  f.lastActiveAt === planned.lastActiveAt &&
  f.idleWarnedAt === planned.idleWarnedAt &&
  f.readyAt === planned.readyAt;

/**
 * The idle job: one read of the running instances, one activity sample of them all (one metrics list),
 * one read of the owners' zones — no per-instance query or request; idle.ts decides each instance.
 */
export async function planIdle(ctx: JobContext, activity: ActivitySource, now: Date): Promise<Step[]> {
  const { store, config, notices } = ctx;
  const steps: Step[] = notices.owed('idle', now, STOP_IDLE, IDLE_STOPPED_NOTICE, OWED_NOTICE_TTL_MS, (i) => {
    if (i.desired !== 'stopped') return undefined;
    const evidence = idleEvidenceOf(ctx, i.id);
    return {
      action: 'notify-idle-stopped',
      reason: `stopped as idle: ${evidence}`,
      notice: { kind: 'idle-stopped', instance: i, evidence },
    };
  });
  const candidates = store.instances.listRunning();
  const samples = await sampleAll(activity, candidates, now);
  const zones = store.users.timeZones();
  const active: { id: string; lastActiveAt: string }[] = [];
  const actions: Step[] = [];
  for (const i of candidates) {
    const sample = samples.get(i.id) ?? NOT_SAMPLED;
    const d = decideIdle(i, sample, now, config.policy, zones.get(i.ownerId) ?? null);
    if (d.kind === 'touch') {
      // Only a clock that moves forward is written (NaN, an unreadable stored time, is rewritten too).
      const seen = i.lastActiveAt ? Date.parse(i.lastActiveAt) : Number.NEGATIVE_INFINITY;
      if (!(Date.parse(d.lastActiveAt) <= seen)) active.push({ id: i.id, lastActiveAt: d.lastActiveAt });
    } else if (d.kind === 'warn') actions.push(warnIdle(ctx, i, d, now));
    else if (d.kind === 'stop') actions.push(stopIdle(ctx, i, d, now));
  }
  if (active.length > 0)
    steps.push({
      // Bookkeeping, not an action: the idle clocks restart, in one (not durable) transaction per pass.
      run: async () => {
        store.transaction(() => store.instances.recordActivity(active, now.toISOString()));
        return false;
      },
    });
  steps.push(...actions);
  return steps;
}

function warnIdle(
  ctx: JobContext,
  i: RunningInstance,
  d: Extract<IdleDecision, { kind: 'warn' }>,
  now: Date,
): Step {
  const { store, notices } = ctx;
  return {
    action: plannedAction('idle', i, 'warn-idle', `${d.evidence}; would stop at ${formatUtc(d.stopAt)}`),
    run: async () => {
      const warnedAt = now.toISOString();
      // Compare-and-set on idleWarnedAt: exactly one runner warns for this idle stretch.
      const fresh = store.transaction(() => {
        const f = store.instances.get(i.id);
        if (!unchangedSince(f, i)) return undefined;
        return store.instances.update(i.id, { idleWarnedAt: warnedAt }, warnedAt);
      });
      if (!fresh) return false;
      const delivered = await notices.deliver(fresh.ownerId, {
        kind: 'idle-warning',
        instance: fresh,
        evidence: d.evidence,
        stopAt: d.stopAt,
      });
      if (delivered) return true;
      store.transaction(() => {
        if (store.instances.get(i.id)?.idleWarnedAt === warnedAt)
          store.instances.update(i.id, { idleWarnedAt: i.idleWarnedAt }, now.toISOString());
      });
      throw new Error(`idle warning for ${i.id} not delivered; retried next run`);
    },
  };
}

function stopIdle(
  ctx: JobContext,
  i: RunningInstance,
  d: Extract<IdleDecision, { kind: 'stop' }>,
  now: Date,
): Step {
  const { service, notices } = ctx;
  return {
    action: plannedAction('idle', i, 'stop-idle', `${d.evidence}; warned ${formatUtc(d.warnedAt)}`),
    run: async () => {
      // The only durable (synchronous=FULL) write of the idle job: an instance actually stopped.
      const stopped = service.stopForPolicy(i.id, `idle: ${d.evidence}`, {
        refuse: (f) => (unchangedSince(f, i) ? undefined : 'used (or changed) since the idle warning'),
        also: (_, s) => s.reminders.claim(i.id, STOP_IDLE, d.warnedAt, now.toISOString()),
        details: { policy: 'idle', evidence: d.evidence, warnedAt: d.warnedAt },
      });
      if (!stopped.ok) return false;
      await notices.sendOwed(i.id, IDLE_STOPPED_NOTICE, d.warnedAt, now, (fresh) =>
        fresh.desired === 'stopped'
          ? { kind: 'idle-stopped', instance: fresh, evidence: d.evidence }
          : undefined,
      );
      return true;
    },
  };
}

/** Every instance's sample; a source that fails makes them all unavailable (never idle). */
async function sampleAll(
  activity: ActivitySource,
  instances: readonly RunningInstance[],
  now: Date,
): Promise<ReadonlyMap<string, ActivitySample>> {
  if (instances.length === 0) return new Map();
  try {
    return await activity.sampleAll(instances, now);
  } catch (error) {
    const reason = `activity source failed: ${error instanceof Error ? error.message : String(error)}`;
    const failed: ActivitySample = { cpu: { available: false, reason }, ssh: { available: false, reason } };
    return new Map(instances.map((i) => [i.id, failed]));
  }
}

/** The evidence the idle stop was made on (from its audit entry), for the notice owed after it. */
function idleEvidenceOf(ctx: JobContext, id: string): string {
  const stop = ctx.store.audit
    .forInstance(id)
    .filter((e) => e.actor === 'system' && e.action === 'stop' && e.details.policy === 'idle')
    .at(-1);
  return typeof stop?.details.evidence === 'string' ? stop.details.evidence : 'idle';
}
