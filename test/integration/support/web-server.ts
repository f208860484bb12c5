// TiSpace as `npm start` composes it, for the web's integration tests: a real Provisioner against the local
// control plane (fresh namespace, golden image published), the Bolt app against the fake Slack, and the
// web on the same HTTP server; Google is the fake issuer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createTiSpaceApp, type TiSpaceApp } from '../../../bot/app.ts';
import { fanOutNotifier, Provisioner, parseConfig } from '../../../provisioner/api.ts';
import { createWeb, type Web } from '../../../web/app.ts';
import { type FakeGoogle, startFakeGoogle } from '../../fakes/google/fake-google.ts';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack/fake-slack.ts';
import { simulatedNodeHostKeys } from '../../support/simulated-host-keys.ts';
import { kubeConfig, waitFor } from './cluster.ts';
import { GOLDEN, publishGoldenImage } from './provisioner.ts';

export const CLIENT_ID = 'web-test.apps.googleusercontent.com';
export const ADMIN = 'boss@example.com';

export interface WebServer {
  origin: string;
  provisioner: Provisioner;
  web: Web;
  bot: TiSpaceApp;
  google: FakeGoogle;
  slack: FakeSlack;
  close(): Promise<void>;
}

export async function startWebServer(namespace: string): Promise<WebServer> {
  await publishGoldenImage(namespace);
  const parsed = parseConfig({
    namespace,
    resyncSeconds: 30,
    admins: [ADMIN],
    images: [
      {
        name: 'ubuntu-22.04',
        description: 'Ubuntu 22.04 LTS',
        snapshot: GOLDEN,
        containerImage: 'registry.example/ubuntu:22.04',
        loginUser: 'ubuntu',
        defaultDiskGiB: 20,
        minDiskGiB: 10,
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.error.message);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-web-'));
  const provisioner = new Provisioner({
    config: parsed.value,
    kubeConfig: kubeConfig(),
    store: path.join(dir, 'db'),
    log,
    hostKeys: simulatedNodeHostKeys,
  });
  const google = await startFakeGoogle({ clientId: CLIENT_ID, clientSecret: 'web-test-secret' });
  const slack = await startFakeSlack({
    token: 'xoxb-web',
    teamId: 'TWEB',
    users: [{ id: 'UADA', email: 'ada@example.com' }],
  });
  // The origin is known only after listening: the web is built first with a placeholder, then replaced.
  let web: Web | undefined;
  const bot = createTiSpaceApp({
    provisioner,
    slack: {
      botToken: 'xoxb-web',
      signingSecret: 'web-signing-secret',
      apiUrl: slack.url,
      retryConfig: { retries: 0 },
    },
    port: 0,
    host: '127.0.0.1',
    log,
    routes: [
      {
        path: '/{*path}',
        method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        handler: (req, res) => web!.handle(req, res),
      },
    ],
  });
  await provisioner.start();
  await waitFor(async () => (provisioner.world.synced ? true : undefined), {
    timeoutMs: 30_000,
    what: 'informers synced',
  });
  const { port } = await bot.start();
  const origin = `http://127.0.0.1:${port}`;
  web = createWeb({
    provisioner,
    log,
    publicUrl: origin,
    google: {
      clientId: CLIENT_ID,
      clientSecret: 'web-test-secret',
      allowedDomains: ['example.com'],
      publicUrl: origin,
      secret: 'x'.repeat(32),
      endpoints: {
        authUrl: google.urls.authUrl,
        tokenUrl: google.urls.tokenUrl,
        certsUrl: google.urls.certsUrl,
      },
    },
  });
  provisioner.setNotifier(fanOutNotifier(bot.notifier, web.live));
  return {
    origin,
    provisioner,
    web,
    bot,
    google,
    slack,
    async close() {
      web?.close();
      await bot.stop();
      await provisioner.stop();
      provisioner.store.close();
      await google.close();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
