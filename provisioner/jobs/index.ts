// The scheduled jobs' public surface.
export {
  type MetricsActivityOptions,
  MetricsActivitySource,
  noSshSessions,
  unavailableActivity,
} from './activity.ts';
export type {
  ActivitySample,
  ActivitySource,
  ActivityTarget,
  CpuSignal,
  SshSessionSource,
  SshSignal,
} from './activity-signals.ts';
export { JOBS_LEASE_NAME, LeaderElector } from './leader.ts';
export { JOB_KINDS, type JobKind, type PlannedAction, type PlannedActionKind } from './plan.ts';
export { cpuPercent, type PodMetrics, type PodMetricsList } from './pod-metrics.ts';
export { type JobRun, Jobs, type JobsOptions } from './scheduler.ts';
