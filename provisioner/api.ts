// The provisioner's public API. Front ends (the Slack bot, a CLI, a web page) import only from here.
export type { AdoptReport } from './adopt.ts';
export type { NodeFree } from './capacity.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export type { ImageConfig, Quota, TiSpaceConfig } from './config/schema.ts';
export type { CreateRequest } from './domain/create-request.ts';
export { DURATION_HELP, formatDuration, formatRemaining, parseDuration } from './domain/duration.ts';
export {
  type Condition,
  type DesiredState,
  type Instance,
  type InstancePhase,
  sshCommand,
} from './domain/instance.ts';
export { NAME_HELP, validateName } from './domain/names.ts';
export { KEY_HELP, looksLikePrivateKey } from './domain/ssh-key.ts';
export type { Result, UserError, UserErrorCode } from './errors.ts';
export type { InstanceEvent } from './instance-events.ts';
export {
  type ActivitySample,
  type ActivitySource,
  type JobKind,
  type JobRun,
  Jobs,
  type JobsOptions,
  MetricsActivitySource,
  type PlannedAction,
  type PlannedActionKind,
  type SshSessionSource,
  type SshSignal,
} from './jobs/index.ts';
export type { JobNotice, Notifier, PhaseChange, ReminderButtons } from './notifier.ts';
export { fanOutNotifier, silentNotifier } from './notifier.ts';
export { Provisioner, type ProvisionerOptions } from './provisioner.ts';
export type { Actor, InstanceRef, Limits, ProvisionerService, UsageReport, Whoami } from './service.ts';
export type { ApiToken } from './store/api-tokens-repo.ts';
export type { AuditEntry } from './store/audit-repo.ts';
export type { StoredInstance } from './store/instances-repo.ts';
export type { SshKey } from './store/keys-repo.ts';
export { Store } from './store/store.ts';
export type { User } from './store/users-repo.ts';
export {
  API_SCOPES,
  type ApiScope,
  type AuditQuery,
  DEFAULT_SESSION_POLICY,
  type OpenSession,
  type SessionPolicy,
  WebAccess,
  webUserId,
} from './web-access.ts';
