// What the scheduled jobs would do, as data: the dry-run planner's answer and the runners' work list.

/** The scheduled jobs, each on its own cron schedule (config.jobs). */
export type JobKind = 'reminders' | 'expiry' | 'idle' | 'retention' | 'directory';

export const JOB_KINDS: readonly JobKind[] = ['reminders', 'expiry', 'idle', 'retention', 'directory'];

export type PlannedActionKind =
  /** Lease reminder notice with Extend / Stop / Delete buttons. */
  | 'remind-lease'
  /** Lease passed: stop (disk kept). */
  | 'stop-expired'
  /** Tell the owner their lease ended and it was stopped (sent after the stop, retried until delivered). */
  | 'notify-expired'
  /** Idle past the threshold: warn, with the evidence and when it will be stopped. */
  | 'warn-idle'
  /** Still idle after the grace: stop (disk kept). */
  | 'stop-idle'
  | 'notify-idle-stopped'
  /** Stopped and nearing the end of retention: remind. */
  | 'remind-retention'
  /** The final retention reminder cannot be delivered: tell the admins once; the deletion proceeds. */
  | 'report-undeliverable'
  /** Retention over: delete (the reconciler snapshots the disk first and deletes it only once ready). */
  | 'delete-retention'
  /** The final snapshot is ready: tell the owner until when it can be restored. */
  | 'notify-snapshot';

export interface PlannedAction {
  job: JobKind;
  instanceId: string;
  /** The owner's name for the instance. */
  name: string;
  /** Owner's Slack user id. */
  owner: string;
  action: PlannedActionKind;
  /** Why, in words an admin understands (times in UTC). */
  reason: string;
}

/** One unit of work: the action it stands for (none for bookkeeping), and how to do it. */
export interface Step {
  action?: PlannedAction;
  /**
   * Does it, re-checking everything inside the store transaction that acts. Resolves true if this call
   * acted (sent, stopped, deleted), false if there was nothing (left) to do — another run did it first.
   */
  run(): Promise<boolean>;
}

/** The planned action of a job for an instance, as the dry run and the run report show it. */
export const plannedAction = (
  job: JobKind,
  i: { id: string; name: string; ownerId: string },
  action: PlannedActionKind,
  reason: string,
): PlannedAction => ({ job, instanceId: i.id, name: i.name, owner: i.ownerId, action, reason });
