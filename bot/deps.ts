import type { Logger } from 'pino';
import type { Clock, ProvisionerApi } from '../provisioner/api.ts';
import type { GoogleLinkPort } from './identity-port.ts';
import type { JobsPort } from './jobs-port.ts';
import type { FollowUps } from './listeners/follow-ups.ts';
import type { BotMetrics } from './metrics.ts';
import type { SlackNotifier } from './notifier/slack-notifier.ts';

/** What every listener may use; passed in, never imported, so tests can swap any part. */
export interface BotDeps {
  api: ProvisionerApi;
  notifier: SlackNotifier;
  /** Google account linking; absent when Google sign-in is not configured. */
  link: Pick<GoogleLinkPort, 'startUrl'> | undefined;
  /** Scheduled jobs (admin reap --dry-run); absent until the jobs module is wired in. */
  jobs: JobsPort | undefined;
  clock: Clock;
  log: Logger;
  metrics: BotMetrics;
  /** Runs listeners' work after acknowledgements (listeners/follow-ups.ts). */
  followUps: FollowUps;
}
