// `npm start`: environment → provisioner → Slack app + web → serve (one HTTP server). Misconfiguration
// stops start-up with one message listing every problem (exit code 1, no stack trace). `npm run dev`
// (web/dev.ts) calls main({ dev: true }): Slack and Google become optional and the web mints a one-time
// sign-in link on loopback; `npm start` never does.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { webApi } from '@slack/bolt';
import { createJobs, fanOutNotifier, loadConfig, Provisioner, systemClock } from '../provisioner/api.ts';
import { createWeb, DEV_ADMIN_EMAIL } from '../web/app.ts';
import { createTiSpaceApp, type TiSpaceApp } from './app.ts';
import { googleSettings, parseEnv } from './config/env.ts';
import { healthRoutes } from './http/health-routes.ts';
import { createGoogleLink } from './identity/google-link.ts';
import type { GoogleLinkPort } from './identity-port.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

function refuse(problems: string[]): never {
  process.stderr.write(`TiSpace cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}

export async function main(mode: { dev?: boolean } = {}): Promise<void> {
  const dev = mode.dev ?? false;
  // A local .env (see .env.example) fills in what the real environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const parsed = parseEnv(process.env, { dev });
  if (!parsed.ok) refuse(parsed.problems);
  const env = parsed.env;
  const config = loadConfig(env.TISPACE_CONFIG, { namespace: env.TISPACE_NAMESPACE });
  if (!config.ok) refuse(config.error.message.split('\n'));
  const log = createLogger({ level: env.LOG_LEVEL });
  // A fault nothing handled leaves the process in an unknown state: log it and exit, so the Deployment
  // restarts a clean one (the store and the cluster hold everything; the reconciler resumes).
  const fatal = (kind: string) => (error: unknown) => {
    log.fatal({ err: error }, `${kind}; exiting so the Deployment restarts TiSpace`);
    process.exit(70);
  };
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
  process.on('uncaughtException', fatal('uncaught exception'));

  const kubeConfig = new KubeConfig();
  try {
    // KUBECONFIG is honoured by loadFromDefault; without it, the in-cluster ServiceAccount is used.
    kubeConfig.loadFromDefault();
  } catch (error) {
    refuse([
      `KUBECONFIG: cannot load ${env.KUBECONFIG ?? 'the in-cluster configuration'}: ${(error as Error).message}`,
    ]);
  }
  mkdirSync(dirname(env.TISPACE_DB_PATH), { recursive: true });
  const provisioner = new Provisioner({
    config: config.value,
    kubeConfig,
    store: env.TISPACE_DB_PATH,
    log,
    // The RuntimeClass turned out not to be Kata once the API server answered (after an outage).
    onRefused: (message) => refuse([message]),
  });

  // parseEnv has made sure Google sign-in is fully configured (optional only in dev mode).
  const google = googleSettings(env);
  const googleLink = (slack: webApi.WebClient): GoogleLinkPort =>
    createGoogleLink({
      ...google!,
      provisioner: provisioner.api,
      slack,
      clock: systemClock,
      log: log.child({ component: 'google-link' }),
    });

  // Scheduled jobs (reminders, expiry, idle, retention, directory); one leader among replicas via a Lease.
  const jobs = createJobs(provisioner, {
    // The provisioner's keep-alive connection pool, shared.
    kubeConfig: provisioner.kubeConfig,
    log: log.child({ component: 'jobs' }),
    // Slack's member directory once the bot exists (none without Slack: the directory job then does nothing).
    directory: () => bot?.directory,
  });

  const host = env.HOST ?? (dev ? '127.0.0.1' : undefined);
  const web = createWeb({
    provisioner,
    log: log.child({ component: 'web' }),
    publicUrl: env.PUBLIC_URL ?? `http://${host ?? '127.0.0.1'}:${env.PORT}`,
    google,
    dev: dev ? { host: host!, adminEmail: DEV_ADMIN_EMAIL } : undefined,
    gateway: env.TISPACE_GATEWAY_TOKEN ? { token: env.TISPACE_GATEWAY_TOKEN } : undefined,
  });
  // Slack is optional only in dev mode (parseEnv): then the web and the health routes get a server of their own.
  const bot: TiSpaceApp | undefined = env.SLACK_BOT_TOKEN
    ? createTiSpaceApp({
        provisioner,
        slack: {
          botToken: env.SLACK_BOT_TOKEN,
          signingSecret: env.SLACK_SIGNING_SECRET,
          appToken: env.SLACK_APP_TOKEN,
          apiUrl: env.SLACK_API_URL,
        },
        port: env.PORT,
        host,
        log,
        jobs,
        ...(google ? { googleLink } : {}),
        routes: web.routes,
      })
    : undefined;
  provisioner.setNotifier(bot ? fanOutNotifier(bot.notifier, web.live) : web.live);
  const started = await provisioner.start();
  if (!started.ok) refuse([started.error.message]);
  jobs.start();
  let port: number;
  let stopServer: () => Promise<void>;
  if (bot) {
    ({ port } = await bot.start());
    stopServer = () => bot.stop();
  } else {
    const health = healthRoutes({ provisioner, registry: createMetrics().registry });
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const route = health.find((r) => r.path === path && req.method === 'GET');
      if (route) return void route.handler(Object.assign(req, { params: {} }), res);
      web.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(env.PORT, host, () => resolve());
    });
    port = (server.address() as { port: number }).port;
    stopServer = () => new Promise((resolve) => server.close(() => resolve()));
  }
  log.info(
    { port, host, socketMode: !!env.SLACK_APP_TOKEN, slack: !!bot, namespace: config.value.namespace },
    'TiSpace is up',
  );
  if (web.devSignInUrl)
    process.stdout.write(
      `\n  TiSpace is running. Sign in (one time) as the local admin:\n\n    ${web.devSignInUrl}\n\n`,
    );
  else if (dev && !google)
    process.stdout.write(
      `\n  TiSpace listens on ${host}, not loopback: no one-time sign-in link (configure Google sign-in).\n\n`,
    );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    web.close();
    Promise.all([stopServer(), jobs.stop()])
      .then(() => provisioner.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

// Run when started as a program (npm start), not when imported (web/dev.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
