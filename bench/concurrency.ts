// Section 4: 200 concurrent creates by 50 users through the bot (signed view_submissions over HTTP, all
// in flight at once), against the real control plane. Checks that no quota is exceeded, that every
// accepted machine reaches Running, and that the cluster holds exactly one Pod per accepted machine.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { createTiSpaceApp } from '../bot/app.ts';
import { createLogger } from '../bot/logger.ts';
import { Provisioner } from '../provisioner/api.ts';
import { startFakeSlack } from '../test/fakes/slack/fake-slack.ts';
import { postInteraction } from '../test/fakes/slack/sign.ts';
import { simulatedNodeHostKeys } from '../test/support/simulated-host-keys.ts';
import { createNamespace, deleteNamespace, loadKubeConfig, log, publishGoldenImage } from './lib/cluster.ts';
import {
  BOT_TOKEN,
  benchConfig,
  benchEmail,
  benchUser,
  linkBenchUsers,
  SIGNING_SECRET,
  TEAM,
} from './lib/config.ts';
import { countRequests, diffCounts } from './lib/kube-counter.ts';
import { latency, round, until } from './lib/stats.ts';
import { createFormValues, viewSubmission } from './provision.ts';

export interface ConcurrencyOptions {
  kc: KubeConfig;
  kubeconfig: string;
  quick: boolean;
}

/** CPUs asked for by a user's k-th request (memory 2 GiB per CPU): any 3 of them can exceed 16 CPUs. */
const CPUS = [2, 4, 6, 8];

export async function concurrencyBench(o: ConcurrencyOptions) {
  const usersN = o.quick ? 20 : 50;
  const perUser = 4;
  const total = usersN * perUser;
  const ns = `bench-conc-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-bench-conc-'));
  const kc = loadKubeConfig(o.kubeconfig);
  const http = countRequests(kc);
  const config = benchConfig(ns);
  const quota = config.quota;
  const fake = await startFakeSlack({
    token: BOT_TOKEN,
    teamId: TEAM,
    triggerTtlMs: 60_000,
    users: Array.from({ length: usersN }, (_, i) => ({ id: benchUser(i), email: benchEmail(i), tz: 'UTC' })),
  });
  const appLog = createLogger({
    level: 'info',
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  let provisioner: Provisioner | undefined;
  let stopBot: (() => Promise<void>) | undefined;
  try {
    await createNamespace(o.kc, ns);
    await publishGoldenImage(o.kc, ns);
    const p = new Provisioner({
      config,
      kubeConfig: kc,
      store: path.join(dir, 'tispace.db'),
      log: appLog,
      hostKeys: simulatedNodeHostKeys,
    });
    provisioner = p;
    const bot = createTiSpaceApp({
      provisioner: { api: p.api, ready: () => p.ready(), setNotifier: (n) => p.setNotifier(n) },
      slack: {
        botToken: BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        apiUrl: fake.url,
        retryConfig: { retries: 2 },
      },
      port: 0,
      log: appLog,
    });
    await p.start();
    await until(() => (p.world.synced ? true : undefined), 'informers synced', 60_000);
    const { port } = await bot.start();
    stopBot = () => bot.stop();
    const url = `http://127.0.0.1:${port}/slack/events`;
    linkBenchUsers(p.api, usersN);

    // Every body signed up front (fresh timestamps), then all posted at once.
    const requests = Array.from({ length: total }, (_, n) => {
      const user = benchUser(n % usersN);
      const k = Math.floor(n / usersN);
      const cpu = CPUS[k % CPUS.length] as number;
      const payload = viewSubmission(user, `c${k}`, fake.mintTriggerId({ user }));
      payload.view.state.values = createFormValues(`c${k}`, {
        cpu,
        memoryGiB: cpu * 2,
        diskGiB: 20,
        lease: '1d',
      });
      return { user, payload };
    });
    const h0 = http.snapshot();
    const t0 = performance.now();
    const answers = await Promise.all(
      requests.map(async ({ payload }) => {
        const s = performance.now();
        const r = await postInteraction(url, SIGNING_SECRET, payload, { timeoutMs: 30_000 });
        return {
          status: r.status,
          refused: r.text.includes('"errors"'),
          text: r.text,
          ms: performance.now() - s,
        };
      }),
    );
    const tAnswered = performance.now();
    const accepted = () => p.store.instances.listLive().filter((i) => i.phase !== 'deleted');
    // Creates that were too slow for an inline answer end in the store or as a DM: wait for all to settle.
    await until(
      () => {
        const dms = fake
          .callsTo('chat.postMessage')
          .filter((c) => JSON.stringify(c.args).includes('Could not create'));
        return accepted().length + answers.filter((a) => a.refused).length + dms.length >= total
          ? true
          : undefined;
      },
      'every request accepted or refused',
      60_000,
      50,
    ).catch(() => undefined);
    const rows = accepted();
    await until(
      () => (p.store.instances.listLive().every((i) => i.phase === 'running') ? true : undefined),
      'every accepted machine Running',
      o.quick ? 180_000 : 300_000,
      100,
    );
    const tRunning = performance.now();
    const h1 = http.snapshot();

    // Quotas, per user.
    const byUser = new Map<string, typeof rows>();
    for (const r of rows) byUser.set(r.ownerId, [...(byUser.get(r.ownerId) ?? []), r]);
    const violations: string[] = [];
    for (const [user, list] of byUser) {
      const cpu = list.reduce((a, i) => a + i.cpu, 0);
      const mem = list.reduce((a, i) => a + i.memoryGiB, 0);
      const disk = list.reduce((a, i) => a + i.diskGiB, 0);
      if (list.length > quota.instances)
        violations.push(`${user}: ${list.length} instances > ${quota.instances}`);
      if (cpu > quota.cpu) violations.push(`${user}: ${cpu} CPUs > ${quota.cpu}`);
      if (mem > quota.memoryGiB) violations.push(`${user}: ${mem} GiB > ${quota.memoryGiB}`);
      if (disk > quota.diskGiB) violations.push(`${user}: ${disk} GiB disk > ${quota.diskGiB}`);
    }
    const pods = (await o.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns })).items;
    const running = rows.filter((r) => p.store.instances.get(r.id)?.phase === 'running').length;
    const refusedInline = answers.filter((a) => a.refused);
    const reasons: Record<string, number> = {};
    for (const a of refusedInline) {
      const m = /"errors":\{"[^"]+":"([^"]*)"/.exec(a.text);
      const key = (m?.[1] ?? a.text).replace(/\d+/g, 'N').slice(0, 80);
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    const result = {
      method: {
        users: usersN,
        requests: total,
        perUser,
        cpusPerRequest: CPUS,
        quota,
        path: 'signed view_submission → Bolt → provisioner (SQLite IMMEDIATE transaction) → reconciler → KWOK',
      },
      accepted: rows.length,
      refusedInline: refusedInline.length,
      refusalReasons: reasons,
      non200: answers.filter((a) => a.status !== 200).length,
      answerMs: latency(answers.map((a) => a.ms)),
      allAnsweredMs: round(tAnswered - t0, 0),
      allRunningMs: round(tRunning - t0, 0),
      runningAccepted: running,
      podsInCluster: pods.length,
      quotaViolations: violations,
      kubeRequests: diffCounts(h0, h1),
      reconciler: { ...p.reconciler.stats },
      targets: {
        quotasNeverExceeded: violations.length === 0,
        everyAcceptedRunning: running === rows.length,
        onePodPerAccepted: pods.length === rows.length,
        allAnswered: rows.length + refusedInline.length === total,
      },
    };
    log(
      `[bench] concurrency: ${rows.length} accepted, ${refusedInline.length} refused, all Running after ${result.allRunningMs} ms, quota violations ${violations.length}`,
    );
    return result;
  } finally {
    await stopBot?.().catch(() => {});
    await provisioner?.stop().catch(() => {});
    provisioner?.store.close();
    await fake.close();
    await deleteNamespace(o.kc, ns).catch((e: unknown) =>
      log(`[bench] could not delete ${ns}: ${String(e)}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}
