import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute, HTTPReceiver, type Receiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import {
  type Clock,
  type DirectorySource,
  type Notifier,
  type ProvisionerApi,
  systemClock,
} from '../provisioner/api.ts';
import { boltLogger } from './bolt-logger.ts';
import { botTokenAuthorize } from './bot-authorize.ts';
import type { BotDeps } from './deps.ts';
import { healthRoutes, type Readiness } from './http/health-routes.ts';
import type { GoogleLinkPort } from './identity-port.ts';
import type { JobsPort } from './jobs-port.ts';
import { FollowUps } from './listeners/follow-ups.ts';
import { registerListeners } from './listeners/index.ts';
import { type BotMetrics, createMetrics } from './metrics.ts';
import { SlackNotifier } from './notifier/slack-notifier.ts';
import { slackDirectory } from './slack-directory.ts';
import { slackErrorCode } from './slack-errors.ts';

/** Retries for Slack Web API calls: 429s wait Retry-After inside the client, then try again. */
const DEFAULT_RETRY: webApi.RetryOptions = {
  retries: 4,
  factor: 2,
  minTimeout: 250,
  maxTimeout: 10_000,
};

export interface TiSpaceAppOptions {
  /** The provisioner (or its parts the bot uses): API, readiness and the notifier hook. */
  provisioner: Readiness & { api: ProvisionerApi; setNotifier(notifier: Notifier): void };
  slack: {
    botToken: string;
    /** Required for HTTP; unused in Socket Mode. */
    signingSecret?: string | undefined;
    /** Switches to Socket Mode. */
    appToken?: string | undefined;
    /** Web API base URL (a fake in tests). */
    apiUrl?: string | undefined;
    retryConfig?: webApi.RetryOptions;
  };
  /** HTTP port (0 = any free port). In Socket Mode the health routes are served on it. Default 3000. */
  port?: number;
  /** Address to listen on (default: every interface). */
  host?: string | undefined;
  /** More HTTP routes on the same server (the web front end), matched after Slack's and the health routes. */
  routes?: CustomRoute[];
  log: Logger;
  /** Builds Google account linking with the app's Slack client; absent = Google sign-in not configured. */
  googleLink?: (client: webApi.WebClient) => GoogleLinkPort;
  jobs?: JobsPort;
  clock?: Clock;
  metrics?: BotMetrics;
  /** Scheduling of listeners' work after acks; default: a backlog of 256. */
  followUps?: FollowUps;
}

export interface TiSpaceApp {
  app: App;
  receiver: Receiver;
  notifier: SlackNotifier;
  /** The workspace directory for the directory job (offboarding), on the app's own client. */
  directory: DirectorySource;
  deps: BotDeps;
  /** Starts serving; resolves with the port actually bound (HTTP mode). */
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

/** Builds the Slack app: receiver, listeners, notifier, health/metrics routes — without starting it. */
export function createTiSpaceApp(options: TiSpaceAppOptions): TiSpaceApp {
  const { log } = options;
  const metrics = options.metrics ?? createMetrics();
  const port = options.port ?? 3000;
  const logger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    ...(options.slack.apiUrl ? { slackApiUrl: options.slack.apiUrl } : {}),
    retryConfig: options.slack.retryConfig ?? DEFAULT_RETRY,
  };
  // The notifier and Google linking talk to Slack outside any request: their own client, same settings.
  const client = new webApi.WebClient(options.slack.botToken, { ...clientOptions, logger });
  const notifier = new SlackNotifier({ client, api: options.provisioner.api, log, metrics });
  const link = options.googleLink?.(client);
  const routes: CustomRoute[] = [
    ...healthRoutes({ provisioner: options.provisioner, registry: metrics.registry }),
    ...(link?.routes ?? []),
    ...(options.routes ?? []),
  ];
  const receiver: Receiver = options.slack.appToken
    ? new SocketModeReceiver({
        appToken: options.slack.appToken,
        logger,
        customRoutes: routes,
        installerOptions: { port },
      })
    : new HTTPReceiver({
        signingSecret: options.slack.signingSecret ?? '',
        logger,
        customRoutes: routes,
        // ack() answers the HTTP request at once; the slow part continues afterwards.
        processBeforeResponse: false,
      });
  const host = options.host;
  if (host && receiver instanceof SocketModeReceiver) {
    // Bolt's Socket Mode receiver listens on every interface and takes no host: bind its server ourselves.
    const server = (receiver as unknown as { httpServer?: Server }).httpServer;
    if (server) {
      const listen = server.listen.bind(server);
      server.listen = ((p: number) => listen(p, host)) as Server['listen'];
    }
  }
  const app = new App({
    authorize: botTokenAuthorize(client, options.slack.botToken),
    receiver,
    logger,
    extendedErrorHandler: true,
    // TiSpace keeps no per-conversation state; Bolt's default in-memory store costs work on every request.
    convoStore: false,
    clientOptions,
  });
  const deps: BotDeps = {
    api: options.provisioner.api,
    notifier,
    link,
    jobs: options.jobs,
    clock: options.clock ?? systemClock,
    log,
    metrics,
    followUps: options.followUps ?? new FollowUps({ onBacklog: (n) => metrics.followUpBacklog.set(n) }),
  };
  registerListeners(app, deps);
  app.error(appErrorHandler(log, metrics) as Parameters<App['error']>[0]);
  options.provisioner.setNotifier(notifier);

  return {
    app,
    receiver,
    notifier,
    directory: slackDirectory(client),
    deps,
    async start() {
      const started = (await (host ? app.start({ port, host }) : app.start(port))) as unknown;
      const address = (started as Server | undefined)?.address?.() as AddressInfo | null | undefined;
      return { port: address?.port ?? port };
    },
    async stop() {
      await app.stop();
      await notifier.idle();
    },
  };
}

/**
 * The one place unexpected errors end up: logged with what was being handled (never the payload: it may
 * hold what a user pasted), counted, and the user told that it was our fault.
 */
function appErrorHandler(log: Logger, metrics: BotMetrics) {
  return async ({ error, body }: { error: Error; body: unknown }): Promise<void> => {
    const b = (body ?? {}) as Record<string, unknown>;
    const what = {
      type: b.type ?? (b.command ? 'slash_command' : undefined),
      command: b.command,
      actionIds: Array.isArray(b.actions)
        ? (b.actions as { action_id?: string }[]).map((a) => a.action_id)
        : undefined,
      callbackId: (b.view as { callback_id?: string } | undefined)?.callback_id,
      event: (b.event as { type?: string } | undefined)?.type,
      user: b.user_id ?? (b.user as { id?: string } | undefined)?.id,
    };
    const original = (error as { original?: unknown }).original ?? error;
    metrics.slackErrors.inc({ method: 'listener', error: slackErrorCode(original) });
    log.error({ err: original, ...what }, 'unhandled error in a Slack listener');
    const responseUrl = typeof b.response_url === 'string' ? b.response_url : undefined;
    if (responseUrl)
      await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          response_type: 'ephemeral',
          replace_original: false,
          text: ':boom: Something went wrong on TiSpace’s side (it was logged). Please try again in a minute.',
        }),
      }).catch((e: unknown) => log.warn({ err: e }, 'could not tell the user about an error'));
  };
}
