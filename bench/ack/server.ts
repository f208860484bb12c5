// Child process: the server under test. `tispace`: createTiSpaceApp with a real Provisioner on the local
// control plane; `bare`: a Bolt app with the same receiver settings whose listeners only ack.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { pino } from 'pino';
import { createTiSpaceApp } from '../../bot/app.ts';
import { createLogger } from '../../bot/logger.ts';
import { Provisioner } from '../../provisioner/api.ts';
import { simulatedNodeHostKeys } from '../../test/support/simulated-host-keys.ts';
import { type Message, serveParent } from '../lib/child.ts';
import { loadKubeConfig } from '../lib/cluster.ts';
import { BOT_TOKEN, benchConfig, IMAGE, linkBenchUsers, SIGNING_SECRET } from '../lib/config.ts';
import { sleep, until } from '../lib/stats.ts';

let stopAll: () => Promise<void> = async () => {};
/** Event-loop delay while under load: a long synchronous stretch delays every ack behind it. */
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

async function startBare(fakeUrl: string): Promise<number> {
  const receiver = new HTTPReceiver({
    signingSecret: SIGNING_SECRET,
    processBeforeResponse: false,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fakeUrl, retryConfig: { retries: 0 } },
  });
  app.command('/tispace', async ({ ack }) => {
    await ack();
  });
  app.action({ type: 'block_actions' }, async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as Server;
  stopAll = async () => {
    await app.stop();
  };
  return (server.address() as AddressInfo).port;
}

async function startTiSpace(m: Message): Promise<number> {
  const namespace = String(m.namespace);
  // Production log level (info), written to /dev/null so the cost of logging is included.
  const log = createLogger({
    level: 'info',
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  const provisioner = new Provisioner({
    config: benchConfig(namespace),
    kubeConfig: loadKubeConfig(String(m.kubeconfig)),
    store: String(m.db),
    log,
    hostKeys: simulatedNodeHostKeys,
  });
  const bot = createTiSpaceApp({
    provisioner: {
      api: provisioner.api,
      ready: () => provisioner.ready(),
      setNotifier: (n) => provisioner.setNotifier(n),
    },
    slack: {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: String(m.fakeUrl),
      retryConfig: { retries: 0 },
    },
    port: 0,
    log,
  });
  await provisioner.start();
  await until(() => (provisioner.world.synced ? true : undefined), 'informers synced', 60_000);
  // Every user is linked; some own machines, so `list` and the Home tab have something to render.
  const actors = linkBenchUsers(provisioner.api, Number(m.users));
  for (const [i, actor] of actors.entries()) {
    if (i < Number(m.owners)) {
      for (const name of ['web', 'db']) {
        const r = await provisioner.api.create(actor, {
          name,
          image: IMAGE,
          cpu: 1,
          memoryGiB: 2,
          diskGiB: 20,
        });
        if (!r.ok) throw new Error(`create ${name} for ${actor.userId}: ${r.error.message}`);
      }
    }
  }
  await until(
    () => {
      const live = provisioner.store.instances.listLive();
      return live.every((i) => i.phase === 'running') ? true : undefined;
    },
    'the machines of the ack benchmark running',
    180_000,
    250,
  );
  await sleep(500);
  const { port } = await bot.start();
  stopAll = async () => {
    await bot.stop();
    await provisioner.stop();
    provisioner.store.close();
  };
  return port;
}

serveParent({
  async start(m) {
    const port = m.kind === 'bare' ? await startBare(String(m.fakeUrl)) : await startTiSpace(m);
    return { type: 'ready', url: `http://127.0.0.1:${port}/slack/events` };
  },
  /** CPU time, RSS and event-loop delay (ms) since the last call. */
  async usage() {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const reply = {
      type: 'usage',
      cpu: process.cpuUsage(),
      rss: process.memoryUsage().rss,
      loopDelayMs: {
        p50: ms(loopDelay.percentile(50)),
        p99: ms(loopDelay.percentile(99)),
        max: ms(loopDelay.max),
      },
    };
    loopDelay.reset();
    return reply;
  },
  async stop() {
    await stopAll();
    process.exit(0);
  },
});
