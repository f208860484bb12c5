import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.ts';
import type { TiSpaceConfig } from '../config/schema.ts';
import { formatDuration } from '../domain/duration.ts';
import type { JobNotice, Notifier } from '../notifier.ts';
import type { Provisioner } from '../provisioner.ts';
import type { ProvisionerService } from '../service.ts';
import type { RunningInstance, StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import { MetricsActivitySource, unavailableActivity } from './activity.ts';
import type { ActivitySample, ActivitySource } from './activity-signals.ts';
import {
  expiryKey,
  expiryReason,
  expiryRefusal,
  LEASE_EXPIRED_NOTICE,
  leaseExpired,
  STOP_EXPIRED,
} from './expiry.ts';
import { decideIdle, IDLE_STOPPED_NOTICE, type IdleDecision, STOP_IDLE } from './idle.ts';
import { LeaderElector } from './leader.ts';
import { planLeaseReminder } from './lease-reminders.ts';
import {
  JOB_KINDS,
  type JobKind,
  type PlannedAction,
  type PlannedActionKind,
  type Step,
  utc,
} from './plan.ts';
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

export const LEASE_REMINDER = 'lease-reminder';

/** How long a notice owed after a stop is retried before it is given up. */
const OWED_NOTICE_TTL_MS = 86_400_000;

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

export interface JobsOptions {
  config: TiSpaceConfig;
  /** The store the service writes through (policy actions record their ledger in its transactions). */
  store: Store;
  service: Pick<ProvisionerService, 'stopForPolicy' | 'deleteForPolicy'>;
  /** The front end's notifier, or a getter for it (the front end may plug in later). */
  notifier: Notifier | (() => Notifier);
  log: Logger;
  clock?: Clock;
  /** Idle signals; default: metrics.k8s.io when a kubeConfig is given, else none (nothing is ever idle). */
  activity?: ActivitySource;
  /** holderIdentity in the election Lease; default hostname-pid. */
  identity?: string;
  /** Enables leader election (Lease `tispace-jobs` in config.namespace). Without it this runner always leads. */
  kubeConfig?: KubeConfig;
  election?: {
    leaseDurationSeconds?: number;
    renewDeadlineSeconds?: number;
    /** Liveness is real time: the election keeps the system clock even when the jobs' clock is a test's. */
    clock?: Clock;
  };
}

export interface JobRun {
  job: JobKind;
  /** What this run did (sent, stopped, deleted). Work another runner did first is not listed. */
  acted: PlannedAction[];
  failed: { action: PlannedAction | undefined; error: string }[];
}

/**
 * The scheduled jobs: lease reminders, lease expiry, idle stop, retention. Every rule is a pure function
 * (lease-reminders.ts, expiry.ts, idle.ts, retention.ts); this class reads the store, asks the rules, and
 * acts through the service (policy actions, actor 'system') and the notifier. Each run is idempotent:
 * reminders and notices are claimed exactly once in the store, and every action re-checks its instance
 * inside the transaction that makes it. On a cron schedule only the elected replica runs them.
 */
export class Jobs {
  readonly #o: JobsOptions;
  readonly #clock: Clock;
  readonly #activity: ActivitySource;
  readonly #identity: string;
  readonly #elector: LeaderElector | undefined;
  readonly #tasks: ScheduledTask[] = [];
  readonly #running = new Map<JobKind, Promise<JobRun>>();

  constructor(options: JobsOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#identity = options.identity ?? `${hostname()}-${process.pid}`;
    this.#activity =
      options.activity ??
      (options.kubeConfig
        ? new MetricsActivitySource({ kubeConfig: options.kubeConfig, namespace: options.config.namespace })
        : unavailableActivity);
    this.#elector = options.kubeConfig
      ? new LeaderElector({
          kubeConfig: options.kubeConfig,
          namespace: options.config.namespace,
          identity: this.#identity,
          log: options.log,
          ...options.election,
          clock: options.election?.clock ?? systemClock,
        })
      : undefined;
    for (const kind of JOB_KINDS) {
      const expression = options.config.jobs[kind];
      if (!cron.validate(expression))
        throw new Error(`jobs.${kind}: "${expression}" is not a valid cron expression`);
    }
  }

  /** Jobs over a Provisioner's store, service and (late-bound) notifier; metrics read via its Pod cache. */
  static forProvisioner(
    provisioner: Provisioner,
    options: Omit<JobsOptions, 'config' | 'store' | 'service' | 'notifier'> & {
      notifier?: JobsOptions['notifier'];
    },
  ): Jobs {
    const activity =
      options.activity ??
      (options.kubeConfig
        ? new MetricsActivitySource({
            kubeConfig: options.kubeConfig,
            namespace: provisioner.config.namespace,
            pods: provisioner.world.pods,
          })
        : undefined);
    return new Jobs({
      ...options,
      config: provisioner.config,
      store: provisioner.store,
      service: provisioner.api,
      notifier: options.notifier ?? (() => provisioner.notifier),
      clock: options.clock ?? provisioner.clock,
      ...(activity ? { activity } : {}),
    });
  }

  get identity(): string {
    return this.#identity;
  }

  /** Whether this runner currently runs the scheduled jobs (always, without leader election). */
  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : true;
  }

  /** Starts leader election and the cron schedules (config.jobs). */
  start(): void {
    if (this.#tasks.length) return;
    this.#elector?.start();
    for (const kind of JOB_KINDS) {
      const task = cron.schedule(this.#o.config.jobs[kind], () => this.#tick(kind), {
        name: `tispace-${kind}-${this.#identity}`,
        noOverlap: true,
      });
      this.#tasks.push(task);
    }
  }

  /** Stops the schedules, waits for runs in progress, and hands the Lease back. */
  async stop(): Promise<void> {
    for (const task of this.#tasks.splice(0)) await task.destroy();
    await Promise.allSettled(this.#running.values());
    await this.#elector?.stop();
  }

  /**
   * Runs one job now, whether or not this runner leads (tests, admin tools). Concurrent calls for the same
   * job share one run.
   */
  runOnce(kind: JobKind): Promise<JobRun> {
    const running = this.#running.get(kind);
    if (running) return running;
    const run = this.#run(kind).finally(() => this.#running.delete(kind));
    this.#running.set(kind, run);
    return run;
  }

  /** Every action the jobs would take now, and why; changes nothing (reads activity, the store). */
  async dryRun(): Promise<PlannedAction[]> {
    const now = this.#clock.now();
    const actions: PlannedAction[] = [];
    for (const kind of JOB_KINDS)
      for (const step of await this.#plan(kind, now)) if (step.action) actions.push(step.action);
    return actions;
  }

  async #tick(kind: JobKind): Promise<void> {
    try {
      if (this.#elector && !(await this.#elector.tryAcquireOrRenew())) return;
      const run = await this.runOnce(kind);
      if (run.acted.length || run.failed.length)
        this.#o.log.info(
          { job: kind, acted: run.acted.length, failed: run.failed },
          `jobs: ${kind} acted ${run.acted.length} time(s)`,
        );
    } catch (error) {
      this.#o.log.error({ err: error, job: kind }, 'scheduled job failed');
    }
  }

  async #run(kind: JobKind): Promise<JobRun> {
    const result: JobRun = { job: kind, acted: [], failed: [] };
    const steps = await this.#plan(kind, this.#clock.now());
    for (const step of steps) {
      try {
        if ((await step.run()) && step.action) result.acted.push(step.action);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.failed.push({ action: step.action, error: message });
        this.#o.log.warn({ err: error, job: kind, action: step.action }, 'job step failed; retried next run');
      }
    }
    return result;
  }

  #plan(kind: JobKind, now: Date): Promise<Step[]> | Step[] {
    switch (kind) {
      case 'reminders':
        return this.#planLeaseReminders(now);
      case 'expiry':
        return this.#planExpiry(now);
      case 'idle':
        return this.#planIdle(now);
      case 'retention':
        return this.#planRetention(now);
    }
  }

  // ---- lease reminders ----------------------------------------------------------------------------

  #planLeaseReminders(now: Date): Step[] {
    const { store, config } = this.#o;
    const steps: Step[] = [];
    const zones = store.users.timeZones();
    for (const i of store.instances.listLive()) {
      const plan = planLeaseReminder(i, now, config.policy, zones.get(i.ownerId) ?? null);
      if (plan?.kind !== 'send' || store.reminders.sent(i.id, LEASE_REMINDER, plan.reminder.key)) continue;
      const { key, offsetMs, final } = plan.reminder;
      steps.push({
        action: this.#action(
          'reminders',
          i,
          'remind-lease',
          `lease ends ${utc(plan.endsAt)}; the ${formatDuration(offsetMs)} reminder${final ? ' (final)' : ''}`,
        ),
        run: () =>
          this.#sendClaimed(i.id, LEASE_REMINDER, key, now, (fresh) => {
            const again = planLeaseReminder(fresh, now, config.policy, this.#tz(fresh.ownerId));
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

  // ---- expiry -------------------------------------------------------------------------------------

  #planExpiry(now: Date): Step[] {
    const { store, service } = this.#o;
    const steps: Step[] = this.#owedNotices(
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
        action: this.#action('expiry', i, 'stop-expired', expiryReason(i)),
        run: async () => {
          const stopped = service.stopForPolicy(i.id, `lease expired: ${expiryReason(i)}`, {
            refuse: (fresh) => expiryRefusal(fresh, i, now),
            also: (_, s) => s.reminders.claim(i.id, STOP_EXPIRED, key, now.toISOString()),
            details: { policy: 'lease', leaseEndsAt: i.leaseEndsAt },
          });
          if (!stopped.ok) return false;
          await this.#sendOwed(i.id, LEASE_EXPIRED_NOTICE, key, now, (fresh) =>
            fresh.desired === 'stopped' ? { kind: 'lease-expired', instance: fresh } : undefined,
          );
          return true;
        },
      });
    }
    return steps;
  }

  // ---- idle -----------------------------------------------------------------------------------------

  async #planIdle(now: Date): Promise<Step[]> {
    const { store, config } = this.#o;
    const steps: Step[] = this.#owedNotices(
      'idle',
      now,
      STOP_IDLE,
      IDLE_STOPPED_NOTICE,
      OWED_NOTICE_TTL_MS,
      (i) => {
        if (i.desired !== 'stopped') return undefined;
        const evidence = this.#idleEvidenceOf(i.id);
        return {
          action: 'notify-idle-stopped',
          reason: `stopped as idle: ${evidence}`,
          notice: { kind: 'idle-stopped', instance: i, evidence },
        };
      },
    );
    // One read of the running instances, one activity sample of them all (one metrics list), one read of
    // the owners' zones: no per-instance query or request.
    const candidates = store.instances.listRunning();
    const samples = await this.#sampleAll(candidates, now);
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
      } else if (d.kind === 'warn') actions.push(this.#warnIdle(i, d, now));
      else if (d.kind === 'stop') actions.push(this.#stopIdle(i, d, now));
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

  #warnIdle(i: RunningInstance, d: Extract<IdleDecision, { kind: 'warn' }>, now: Date): Step {
    const { store } = this.#o;
    return {
      action: this.#action('idle', i, 'warn-idle', `${d.evidence}; would stop at ${utc(d.stopAt)}`),
      run: async () => {
        const warnedAt = now.toISOString();
        // Compare-and-set on idleWarnedAt: exactly one runner warns for this idle stretch.
        const fresh = store.transaction(() => {
          const f = store.instances.get(i.id);
          if (!unchangedSince(f, i)) return undefined;
          return store.instances.update(i.id, { idleWarnedAt: warnedAt }, warnedAt);
        });
        if (!fresh) return false;
        const delivered = await this.#deliver(fresh.ownerId, {
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

  #stopIdle(i: RunningInstance, d: Extract<IdleDecision, { kind: 'stop' }>, now: Date): Step {
    const { service } = this.#o;
    return {
      action: this.#action('idle', i, 'stop-idle', `${d.evidence}; warned ${utc(d.warnedAt)}`),
      run: async () => {
        // The only durable (synchronous=FULL) write of the idle job: an instance actually stopped.
        const stopped = service.stopForPolicy(i.id, `idle: ${d.evidence}`, {
          refuse: (f) => (unchangedSince(f, i) ? undefined : 'used (or changed) since the idle warning'),
          also: (_, s) => s.reminders.claim(i.id, STOP_IDLE, d.warnedAt, now.toISOString()),
          details: { policy: 'idle', evidence: d.evidence, warnedAt: d.warnedAt },
        });
        if (!stopped.ok) return false;
        await this.#sendOwed(i.id, IDLE_STOPPED_NOTICE, d.warnedAt, now, (fresh) =>
          fresh.desired === 'stopped'
            ? { kind: 'idle-stopped', instance: fresh, evidence: d.evidence }
            : undefined,
        );
        return true;
      },
    };
  }

  /** Every instance's sample; a source that fails makes them all unavailable (never idle). */
  async #sampleAll(
    instances: readonly RunningInstance[],
    now: Date,
  ): Promise<ReadonlyMap<string, ActivitySample>> {
    if (instances.length === 0) return new Map();
    try {
      return await this.#activity.sampleAll(instances, now);
    } catch (error) {
      const reason = `activity source failed: ${error instanceof Error ? error.message : String(error)}`;
      const failed: ActivitySample = { cpu: { available: false, reason }, ssh: { available: false, reason } };
      return new Map(instances.map((i) => [i.id, failed]));
    }
  }

  #idleEvidenceOf(id: string): string {
    const stop = this.#o.store.audit
      .forInstance(id)
      .filter((e) => e.actor === 'system' && e.action === 'stop' && e.details.policy === 'idle')
      .at(-1);
    return typeof stop?.details.evidence === 'string' ? stop.details.evidence : 'idle';
  }

  // ---- retention ------------------------------------------------------------------------------------

  #planRetention(now: Date): Step[] {
    const { store, service, config } = this.#o;
    const { policy } = config;
    const steps: Step[] = this.#owedNotices(
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
              reason: `disk deleted, snapshot ${i.snapshotName} kept; restorable until ${utc(i.snapshotExpiresAt)}`,
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
    const plan = (i: StoredInstance, tz = this.#tz(i.ownerId)) =>
      planRetention(i, now, policy, tz, finalSentAt(i));
    const zones = store.users.timeZones();
    for (const i of store.instances.listLive()) {
      if (!retentionApplies(i)) continue;
      const p = plan(i, zones.get(i.ownerId) ?? null);
      if (p?.kind === 'remind') {
        const { key, offsetMs, final } = p.reminder;
        if (store.reminders.sent(i.id, RETENTION_REMINDER, key)) continue;
        steps.push({
          action: this.#action(
            'retention',
            i,
            'remind-retention',
            `deletion ${utc(p.deleteAt)}; the ${formatDuration(offsetMs)} reminder${final ? ' (final)' : ''}`,
          ),
          run: () =>
            this.#sendClaimed(i.id, RETENTION_REMINDER, key, now, (fresh) => {
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
          action: this.#action('retention', i, 'delete-retention', p.reason),
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

  // ---- notices ----------------------------------------------------------------------------------------

  /** Steps for notices owed after a policy action (the ledger `kind` has no `notice` claim yet). */
  #owedNotices(
    job: JobKind,
    now: Date,
    kind: string,
    notice: string,
    ttlMs: number,
    build: (
      i: StoredInstance,
    ) => { action: PlannedActionKind; reason: string; notice: JobNotice } | undefined,
  ): Step[] {
    const { store } = this.#o;
    const steps: Step[] = [];
    const since = new Date(now.getTime() - ttlMs).toISOString();
    for (const owed of store.reminders.unmatched(kind, notice, since)) {
      const i = store.instances.get(owed.instanceId);
      const planned = i && build(i);
      if (!i || !planned) continue;
      steps.push({
        action: this.#action(job, i, planned.action, planned.reason),
        run: () => this.#sendClaimed(i.id, notice, owed.dueKey, now, (fresh) => build(fresh)?.notice),
      });
    }
    return steps;
  }

  /** Sends a notice owed after an action; a failure is logged and retried by the next run. */
  async #sendOwed(
    id: string,
    kind: string,
    key: string,
    now: Date,
    build: (fresh: StoredInstance) => JobNotice | undefined,
  ): Promise<void> {
    try {
      await this.#sendClaimed(id, kind, key, now, build);
    } catch (error) {
      this.#o.log.warn({ err: error, instance: id, notice: kind }, 'notice not delivered; retried next run');
    }
  }

  /**
   * Claims (instance, kind, key) and sends the notice `build` makes from the instance as it is now (undefined:
   * no longer applies). Exactly once: a claim another run holds means it was sent; an undelivered notice
   * gives its claim back and throws, so the next run tries again.
   */
  async #sendClaimed(
    id: string,
    kind: string,
    key: string,
    now: Date,
    build: (fresh: StoredInstance) => JobNotice | undefined,
  ): Promise<boolean> {
    const { store } = this.#o;
    const fresh = store.instances.get(id);
    const notice = fresh && build(fresh);
    if (!fresh || !notice) return false;
    if (!store.reminders.claim(id, kind, key, now.toISOString())) return false;
    if (await this.#deliver(fresh.ownerId, notice)) return true;
    store.reminders.release(id, kind, key);
    throw new Error(`${kind} notice for ${id} not delivered; retried next run`);
  }

  async #deliver(userId: string, notice: JobNotice): Promise<boolean> {
    const notifier = typeof this.#o.notifier === 'function' ? this.#o.notifier() : this.#o.notifier;
    try {
      return await notifier.notice(userId, notice);
    } catch (error) {
      this.#o.log.warn({ err: error, userId, notice: notice.kind }, 'notifier threw');
      return false;
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  #tz(userId: string): string | null {
    return this.#o.store.users.get(userId)?.tz ?? null;
  }

  #action(
    job: JobKind,
    i: Pick<StoredInstance, 'id' | 'name' | 'ownerId'>,
    action: PlannedActionKind,
    reason: string,
  ): PlannedAction {
    return { job, instanceId: i.id, name: i.name, owner: i.ownerId, action, reason };
  }
}
