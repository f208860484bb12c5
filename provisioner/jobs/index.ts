// The scheduled jobs' public surface.
export {
  type ActivitySample,
  type ActivitySource,
  type CpuSignal,
  cpuPercent,
  MetricsActivitySource,
  noSshSessions,
  type SshSessionSource,
  type SshSignal,
  unavailableActivity,
} from './activity.ts';
export { type JobRun, Jobs, type JobsOptions } from './jobs.ts';
export { JOBS_LEASE_NAME, LeaderElector } from './leader.ts';
export { JOB_KINDS, type JobKind, type PlannedAction, type PlannedActionKind } from './plan.ts';
