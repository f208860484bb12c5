import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.ts';
import type { TiSpaceConfig } from '../config/schema.ts';
import type { Notifier } from '../notifier.ts';
import type { PolicyActions } from '../service/policy-actions.ts';
import type { Store } from '../store/store.ts';
import { unavailableActivity } from './activity.ts';
import type { ActivitySource } from './activity-signals.ts';
import type { DirectorySource } from './directory.ts';
import { planDirectory } from './directory-job.ts';
import { planExpiry } from './expiry-job.ts';
import { planIdle } from './idle-job.ts';
import type { JobContext } from './job-context.ts';
import { LeaderElector } from './leader.ts';
import { planLeaseReminders } from './lease-reminders-job.ts';
import { NoticeDelivery } from './notices.ts';
import { JOB_KINDS, type JobKind, type PlannedAction, type Step } from './plan.ts';
import { planRetentionJob } from './retention-job.ts';

export interface JobsOptions {
  config: TiSpaceConfig;
  /** The store the service writes through (policy actions record their ledger in its transactions). */
  store: Store;
  service: PolicyActions;
  /** The front end's notifier, or a getter for it (the front end may plug in later). */
  notifier: Notifier | (() => Notifier);
  log: Logger;
  clock?: Clock;
  /** Idle signals; default none (nothing is ever idle). createJobs (provisioner.ts) plugs in metrics.k8s.io. */
  activity?: ActivitySource;
  /**
   * The workspace directory the directory job checks users against (the front end's, or a getter for it:
   * it may plug in later). Without one the directory job does nothing.
   */
  directory?: DirectorySource | (() => DirectorySource | undefined);
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
 * The scheduler of the jobs: lease reminders, lease expiry, idle stop, retention, the directory check
 * (offboarding). Every rule is a pure function (lease-reminders.ts, expiry.ts, idle.ts, retention.ts,
 * directory.ts) with its planner beside it (*-job.ts:
 * reads the store, asks the rule, acts through the service's policy actions and notices.ts). Each run is
 * idempotent: reminders and notices are claimed exactly once in the store, and every action re-checks its
 * instance inside the transaction that makes it. On a cron schedule only the elected replica runs them.
 */
export class Jobs {
  readonly #o: JobsOptions;
  readonly #ctx: JobContext;
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
    this.#activity = options.activity ?? unavailableActivity;
    const { config, store, service, log } = options;
    this.#ctx = {
      config,
      store,
      service,
      log,
      notices: new NoticeDelivery({ store, notifier: options.notifier, log }),
    };
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
    // The directory job acts on users, not instances, and asks Slack: not part of the dry run.
    for (const kind of JOB_KINDS.filter((k) => k !== 'directory'))
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
        return planLeaseReminders(this.#ctx, now);
      case 'expiry':
        return planExpiry(this.#ctx, now);
      case 'idle':
        return planIdle(this.#ctx, this.#activity, now);
      case 'retention':
        return planRetentionJob(this.#ctx, now);
      case 'directory': {
        const d = this.#o.directory;
        return planDirectory(this.#ctx, typeof d === 'function' ? d() : d, now);
      }
    }
  }
}
