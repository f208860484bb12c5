// The provisioner's public API. Front ends (the Slack bot, a CLI, a web page) import only from here.
export type { NodeFree } from './capacity.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export type { ImageConfig, Quota, TiSpaceConfig } from './config/schema.ts';
export type { CreateRequest } from './domain/create-request.ts';
export { DURATION_HELP, formatDuration, formatRemaining, parseDuration } from './domain/duration.ts';
export type { Condition, Instance, InstancePhase } from './domain/instance.ts';
export { SIGN_IN_LIFETIME, SIGN_IN_TTL_MS } from './domain/sign-in.ts';
export {
  type HostKey,
  hostKeyText,
  knownHostsLines,
  primaryHostKey,
  type SshGateway,
  sshAlias,
  sshCommand,
  sshConfigBlock,
  vscodeUri,
} from './domain/ssh-access.ts';
export { KEY_HELP, looksLikePrivateKey } from './domain/ssh-key.ts';
export { formatUtc } from './domain/utc.ts';
export { webUserId } from './domain/web-user.ts';
export type { Result, UserError, UserErrorCode } from './errors.ts';
export type { GatewayAccess } from './gateway-access.ts';
export type { InstanceEvent } from './instance-events.ts';
export { MetricsActivitySource } from './jobs/activity.ts';
export type { ActivitySample, ActivitySource } from './jobs/activity-signals.ts';
export type { DirectoryMember, DirectorySource } from './jobs/directory.ts';
export type { JobKind } from './jobs/plan.ts';
export { Jobs } from './jobs/scheduler.ts';
export type { JobNotice, Notifier, PhaseChange } from './notifier.ts';
export { fanOutNotifier, silentNotifier } from './notifier.ts';
export { createJobs, Provisioner, type ProvisionerOptions } from './provisioner.ts';
export type { Limits } from './service/catalog-api.ts';
export { type Actor, DEACTIVATED_MESSAGE, type InstanceRef, type Whoami } from './service/context.ts';
export type { ProvisionerApi } from './service/provisioner-api.ts';
export type { UsageReport } from './service/usage.ts';
export type { ApiToken } from './store/api-tokens-repo.ts';
export type { AuditEntry } from './store/audit-repo.ts';
export type { StoredInstance } from './store/instances-repo.ts';
export type { SshKey } from './store/keys-repo.ts';
export type { User } from './store/users-repo.ts';
export {
  API_SCOPES,
  type ApiScope,
  type AuditQuery,
  DEFAULT_SESSION_POLICY,
  type OpenSession,
  type SessionPolicy,
  WebAccess,
} from './web-access.ts';
