// `npm start`: environment → provisioner → Slack app → serve. Misconfiguration stops start-up with one
// message listing every problem (exit code 1, no stack trace).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { webApi } from '@slack/bolt';
import { Jobs, loadConfig, Provisioner, systemClock } from '../provisioner/api.ts';
import { createTiSpaceApp } from './app.ts';
import { googleSettings, parseEnv } from './config/env.ts';
import { createGoogleLink } from './identity/google-link.ts';
import type { GoogleLinkPort } from './identity-port.ts';
import { createLogger } from './logger.ts';

function refuse(problems: string[]): never {
  process.stderr.write(`TiSpace cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  // A local .env (see .env.example) fills in what the real environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const parsed = parseEnv(process.env);
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
  const provisioner = new Provisioner({ config: config.value, kubeConfig, store: env.TISPACE_DB_PATH, log });

  // parseEnv has made sure Google sign-in is fully configured.
  const google = googleSettings(env)!;
  const googleLink = (slack: webApi.WebClient): GoogleLinkPort =>
    createGoogleLink({
      ...google,
      provisioner: provisioner.api,
      slack,
      clock: systemClock,
      log: log.child({ component: 'google-link' }),
    });

  // Scheduled jobs (reminders, expiry, idle, retention); one leader among replicas via a Lease.
  const jobs = Jobs.forProvisioner(provisioner, {
    // The provisioner's keep-alive connection pool, shared.
    kubeConfig: provisioner.kubeConfig,
    log: log.child({ component: 'jobs' }),
  });

  const bot = createTiSpaceApp({
    provisioner,
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
    },
    port: env.PORT,
    log,
    jobs,
    googleLink,
  });
  await provisioner.start();
  jobs.start();
  const { port } = await bot.start();
  log.info({ port, socketMode: !!env.SLACK_APP_TOKEN, namespace: config.value.namespace }, 'TiSpace is up');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    Promise.all([bot.stop(), jobs.stop()])
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

await main();
