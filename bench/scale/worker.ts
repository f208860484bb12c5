// Child process of the scale section: the Provisioner over 10,000 instances at steady state, alone in its
// process so that CPU time and resident memory are its own. Started with --expose-gc.
import { pino } from 'pino';
import { createLogger } from '../../bot/logger.ts';
import { homeView } from '../../bot/views/home.ts';
import {
  type ActivitySample,
  type ActivitySource,
  formatDuration,
  type JobKind,
  Jobs,
  type Notifier,
  Provisioner,
} from '../../provisioner/api.ts';
import { MetricsActivitySource } from '../../provisioner/jobs/activity.ts';
import { validateView } from '../../test/fakes/slack/block-kit-limits.ts';
import { simulatedNodeHostKeys } from '../../test/support/simulated-host-keys.ts';
import { type Message, serveParent } from '../lib/child.ts';
import { loadKubeConfig } from '../lib/cluster.ts';
import { TEAM } from '../lib/config.ts';
import { countRequests, diffCounts } from '../lib/kube-counter.ts';
import { latency, median, round, sleep, spread } from '../lib/stats.ts';
import { scaleConfig } from './index.ts';

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
};

const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return round((d.user + d.system) / 1000, 1);
};

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);

async function drained(p: Provisioner, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (p.reconciler.queue.busy) {
    if (Date.now() > deadline) throw new Error('reconciler queue did not drain');
    await sleep(2);
  }
}

/** Instances written since `since` (ISO), i.e. status writes the reconciler made. */
const writesSince = (p: Provisioner, since: string): number =>
  (p.store.db.prepare('SELECT COUNT(*) AS n FROM instances WHERE updated_at > ?').get(since) as { n: number })
    .n;

/** In-memory activity: 1 in 20 instances idle (CPU 0.5 %, no SSH sessions), the rest busy. Costs nothing. */
const syntheticSample = (id: string): ActivitySample => {
  const idle = Number.parseInt(id.slice(-3), 36) % 20 === 0;
  return {
    cpu: { available: true, percent: idle ? 0.5 : 40 },
    ssh: { available: true, activeSessions: idle ? 0 : 1, openSince: null, lastSessionAt: null },
  };
};
const syntheticActivity: ActivitySource = {
  async sampleAll(instances) {
    return new Map(instances.map((i) => [i.id, syntheticSample(i.id)]));
  },
};

async function run(m: Message): Promise<Message> {
  const namespace = String(m.namespace);
  const kc = loadKubeConfig(String(m.kubeconfig));
  const http = countRequests(kc);
  const log = createLogger({
    level: 'info',
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  const sent = { instanceChanged: 0, notice: 0 };
  const notifier: Notifier = {
    instanceChanged: async () => {
      sent.instanceChanged++;
    },
    notice: async () => {
      sent.notice++;
      return true;
    },
    adminAlert: async () => {},
  };
  const config = scaleConfig(namespace);
  gc();
  const before = process.memoryUsage();

  // Start: list every cache, then the first full pass (it records conditions into the fresh rows).
  let cpu = process.cpuUsage();
  let t = performance.now();
  const p = new Provisioner({
    config,
    kubeConfig: kc,
    store: String(m.db),
    log,
    notifier,
    hostKeys: simulatedNodeHostKeys,
  });
  await p.world.start();
  const listMs = performance.now() - t;
  const listCpuMs = cpuMs(cpu);
  const listRequests = http.snapshot();
  gc();
  const afterList = process.memoryUsage();
  cpu = process.cpuUsage();
  t = performance.now();
  let h0 = http.snapshot();
  const since0 = new Date().toISOString();
  p.reconciler.start();
  await drained(p);
  const initialPass = {
    wallMs: round(performance.now() - t, 0),
    cpuMs: cpuMs(cpu),
    reconciles: p.reconciler.stats.reconciles,
    errors: p.reconciler.stats.errors,
    statusWrites: writesSince(p, since0),
    http: diffCounts(h0, http.snapshot()),
    kube: { ...p.kube.requests },
  };

  // Steady-state resyncs.
  await sleep(1000);
  const resyncs: {
    wallMs: number;
    cpuMs: number;
    reconciles: number;
    errors: number;
    statusWrites: number;
    kubeWrites: number;
    kubeReads: number;
    http: ReturnType<typeof diffCounts>;
  }[] = [];
  for (let i = 0; i < Number(m.resyncs); i++) {
    gc();
    const kube0 = { ...p.kube.requests };
    const stats0 = { ...p.reconciler.stats };
    h0 = http.snapshot();
    const since = new Date().toISOString();
    await sleep(5);
    cpu = process.cpuUsage();
    t = performance.now();
    p.reconciler.resync();
    await drained(p);
    const wallMs = performance.now() - t;
    const c = cpuMs(cpu);
    const k = p.kube.requests;
    resyncs.push({
      wallMs: round(wallMs, 1),
      cpuMs: c,
      reconciles: p.reconciler.stats.reconciles - stats0.reconciles,
      errors: p.reconciler.stats.errors - stats0.errors,
      statusWrites: writesSince(p, since),
      kubeWrites: k.create + k.apply + k.delete - (kube0.create + kube0.apply + kube0.delete),
      kubeReads: k.read - kube0.read,
      http: diffCounts(h0, http.snapshot()),
    });
    await sleep(500);
  }

  // Resident memory after GC, with every cache full and the store open.
  gc();
  await sleep(200);
  gc();
  const mem = process.memoryUsage();
  const memory = {
    /** The target is in MB (10^6 bytes). */
    rssMB: round(mem.rss / 1e6, 0),
    rssMiB: mib(mem.rss),
    heapUsedMiB: mib(mem.heapUsed),
    externalMiB: mib(mem.external),
    heapTotalMiB: mib(mem.heapTotal),
    /** The same process with every module loaded, before the Provisioner existed. */
    beforeProvisioner: { rssMiB: mib(before.rss), heapUsedMiB: mib(before.heapUsed) },
    /** Right after the caches listed (GC'd), before the first reconcile pass. */
    afterList: { rssMiB: mib(afterList.rss), heapUsedMiB: mib(afterList.heapUsed) },
    /** Heap growth per instance (caches + store rows), in KiB. */
    heapKiBPerInstance: round((mem.heapUsed - before.heapUsed) / 1024 / Number(m.instances), 1),
    /** Serialized size of each cache (a proxy for what it holds), and the share of metadata.managedFields. */
    cacheJsonMiB: Object.fromEntries(
      (['pods', 'pvcs', 'services', 'secrets', 'nodes'] as const).map((k) => {
        const items = p.world[k].list() as { metadata?: { managedFields?: unknown } }[];
        const total = items.reduce((a, o) => a + JSON.stringify(o).length, 0);
        const managed = items.reduce((a, o) => a + JSON.stringify(o.metadata?.managedFields ?? []).length, 0);
        return [k, { total: mib(total), managedFields: mib(managed) }];
      }),
    ),
    cached: {
      pods: p.world.pods.list().length,
      pvcs: p.world.pvcs.list().length,
      services: p.world.services.list().length,
      secrets: p.world.secrets.list().length,
      nodes: p.world.nodes.list().length,
    },
  };

  // App Home of the user with 60 instances: the pure builder, and the whole build (store reads included).
  const actor = { userId: String(m.homeUser), teamId: TEAM };
  const now = new Date();
  const common = { page: 0, now, extendBy: '1d', deleteGrace: formatDuration(config.policy.snapshotGrace) };
  const listed = p.api.list(actor);
  const usage = p.api.usage(actor);
  if (!listed.ok) throw new Error(`list: ${listed.error.message}`);
  const instances = listed.value;
  const build = () => homeView({ ...common, instances, usage: usage.ok ? usage.value : undefined });
  const full = () => {
    p.api.whoami(actor);
    const l = p.api.list(actor);
    const u = p.api.usage(actor);
    return homeView({ ...common, instances: l.ok ? l.value : [], usage: u.ok ? u.value : undefined });
  };
  for (let i = 0; i < 20; i++) {
    build();
    full();
  }
  const time = (fn: () => unknown, n: number) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      fn();
      xs.push(performance.now() - s);
    }
    return latency(xs);
  };
  const view = full();
  const pages = [0, 1, 2].map((page) =>
    homeView({ ...common, page, instances, usage: usage.ok ? usage.value : undefined }),
  );
  const home = {
    instances: instances.length,
    pureBuilderMs: time(build, 200),
    withStoreReadsMs: time(full, 100),
    firstPage: {
      blocks: view.blocks.length,
      bytes: Buffer.byteLength(JSON.stringify(view)),
      slackLimitProblems: validateView(view as never),
    },
    pagesBlocks: pages.map((v) => v.blocks.length),
    allPagesValid: pages.every((v) => validateView(v as never).length === 0),
  };

  // Scheduled jobs: one pass each (the first pass does the work; the second finds it done).
  const jobRun = async (jobs: Jobs, kind: JobKind) => {
    gc();
    const h = http.snapshot();
    const n0 = { ...sent };
    const c = process.cpuUsage();
    const s = performance.now();
    const r = await jobs.runOnce(kind);
    return {
      wallMs: round(performance.now() - s, 1),
      cpuMs: cpuMs(c),
      acted: r.acted.length,
      failed: r.failed.length,
      notices: sent.notice - n0.notice,
      http: diffCounts(h, http.snapshot()),
    };
  };
  const synthetic = new Jobs({
    config,
    store: p.store,
    service: p.policy,
    notifier,
    log,
    activity: syntheticActivity,
  });
  const metricsJobs = new Jobs({
    config,
    store: p.store,
    service: p.policy,
    notifier,
    log,
    activity: new MetricsActivitySource({ kubeConfig: p.kubeConfig, namespace, pods: p.world.pods }),
  });
  const jobs = {
    reminders: { first: await jobRun(synthetic, 'reminders'), second: await jobRun(synthetic, 'reminders') },
    // Real activity source: one metrics.k8s.io list per pass (the local control plane has no
    // metrics-server, so it answers 404 and every instance counts as unavailable, i.e. in use).
    idleMetricsApi: await jobRun(metricsJobs, 'idle'),
    idleSynthetic: { first: await jobRun(synthetic, 'idle'), second: await jobRun(synthetic, 'idle') },
  };

  await p.stop();
  p.store.close();
  const cpuSpread = spread(resyncs.map((r) => r.cpuMs));
  const wallSpread = spread(resyncs.map((r) => r.wallMs));
  const steadyGets = resyncs.reduce((a, r) => a + r.http.get, 0);
  const steadyOther = resyncs.reduce(
    (a, r) => a + r.http.list + r.http.write + r.http.watch + r.kubeReads + r.kubeWrites,
    0,
  );
  return {
    type: 'result',
    startup: { listMs: round(listMs, 0), listCpuMs, listRequests, initialPass },
    resync: {
      runs: resyncs.length,
      wallMs: wallSpread,
      cpuMs: cpuSpread,
      perRun: resyncs,
    },
    memory,
    home,
    jobs,
    targets: {
      resyncZeroPerInstanceGets: steadyGets === 0,
      resyncNoApiRequestsAtAll: steadyGets === 0 && steadyOther === 0,
      memoryUnder300MB: mem.rss < 300e6,
      homeUnder50ms: home.withStoreReadsMs.p99 < 50,
      homeWithinSlackLimits: home.allPagesValid,
      reminderJobUnder1s: jobs.reminders.first.wallMs < 1000,
      idleJobUnder1s: jobs.idleSynthetic.first.wallMs < 1000,
      idleJobWithMetricsApiUnder1s: jobs.idleMetricsApi.wallMs < 1000,
    },
    medianResyncCpuMs: median(resyncs.map((r) => r.cpuMs)),
  };
}

serveParent({
  run,
  async stop() {
    process.exit(0);
  },
});
