// Section 1: acknowledgement latency of TiSpace vs a bare Bolt app, same machine, same run, interleaved.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Child, type Message, startChild } from '../lib/child.ts';
import {
  componentCpuSeconds,
  cpuDelta,
  createNamespace,
  deleteNamespace,
  log,
  publishGoldenImage,
} from '../lib/cluster.ts';
import { type Placement, place } from '../lib/cpu.ts';
import { median, round, sleep, spread } from '../lib/stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface AckOptions {
  kc: KubeConfig;
  kubeconfig: string;
  quick: boolean;
}

type Server = 'bare' | 'tispace';
type Kind = 'command' | 'action';

interface Run {
  round: number;
  /** Offered load: closed loop (as fast as answers come) or a fixed rate (req/s). */
  load: 'closed' | number;
  server: Server;
  kind: Kind;
  connections: number;
  p50: number;
  p99: number;
  max: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  followUps: Record<string, number>;
  /** After the run: until every acked request's follow-up reached the fake Slack. */
  drainMs: number;
  /** The server's event-loop delay during the run. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** The load generator's event-loop delay during the run (late = latencies it measures inflated). */
  loadLoopDelayMs: { p99: number; max: number };
}

export async function ackBench(o: AckOptions) {
  const rounds = o.quick ? 1 : 3;
  const duration = o.quick ? 3 : 6;
  /** The second series: a fixed offered rate well below saturation (still far above real Slack traffic). */
  const fixedRate = 200;
  const loads = ['closed', fixedRate] as const;
  const connectionLevels = [50, 200];
  const users = 50;
  const ns = `bench-ack-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-bench-ack-'));
  const children: Child[] = [];
  const runs: Run[] = [];
  const placement: Record<string, Placement> = {};
  const cpuBefore = componentCpuSeconds();
  const started = Date.now();
  try {
    await createNamespace(o.kc, ns);
    await publishGoldenImage(o.kc, ns);
    const load = startChild(path.join(here, 'load.ts'));
    const slack = startChild(path.join(here, 'slack.ts'));
    children.push(load, slack);
    // The servers under test get CPU 1 to themselves (one at a time is under load); the load generator
    // and the fake Slack share CPU 0, the fake Slack at the lowest priority (nice 19) so the clock
    // that measures latency is not the one waiting.
    placement.load = place(load.proc.pid, '0');
    placement.slack = place(slack.proc.pid, '0', 19);
    await load.request({ type: 'init', users }, 'ready', 60_000);
    const { url: fakeUrl } = await slack.request<Message & { url: string }>(
      { type: 'init', users },
      'ready',
      60_000,
    );
    const servers = {} as Record<Server, { child: Child; url: string }>;
    for (const server of ['bare', 'tispace'] as const) {
      const child = startChild(path.join(here, 'server.ts'));
      children.push(child);
      placement[server] = place(child.proc.pid, '1');
      const ready = await child.request<Message & { url: string }>(
        {
          type: 'start',
          kind: server,
          fakeUrl,
          kubeconfig: o.kubeconfig,
          namespace: ns,
          db: path.join(dir, 'tispace.db'),
          users,
          owners: 10,
        },
        'ready',
        300_000,
      );
      servers[server] = { child, url: ready.url };
    }
    const runOnce = async (
      server: Server,
      kind: Kind,
      connections: number,
      seconds: number,
      rate?: number,
    ) => {
      // Enough fresh response_urls for every request TiSpace can answer in the run (bare Bolt never uses them).
      const n = Math.min(40_000, Math.ceil(seconds * (rate ? rate * 1.5 : 4000)));
      const { urls } = await slack.request<Message & { urls: string[] }>(
        { type: 'mint', n },
        'minted',
        60_000,
      );
      const result = await load.request<Message & Record<string, unknown> & { latency: unknown }>(
        {
          type: 'run',
          url: servers[server].url,
          kind,
          connections,
          duration: seconds,
          responseUrls: urls,
          ...(rate ? { rate } : {}),
        },
        'result',
        (seconds + 60) * 1000,
      );
      // Wait until the server has done the follow-ups of every request it acked (TiSpace queues them), so
      // its backlog never spills into the next run; report how long that took.
      const drainStart = Date.now();
      let byMethod: Record<string, number> = {};
      let last = -1;
      let stableSince = Date.now();
      for (;;) {
        await sleep(250);
        byMethod = (
          await slack.request<Message & { byMethod: Record<string, number> }>({ type: 'calls' }, 'calls')
        ).byMethod;
        const total = Object.values(byMethod).reduce((a, b) => a + b, 0);
        if (total !== last) stableSince = Date.now();
        last = total;
        if (server === 'bare' || total >= Number(result.ok) || Date.now() - stableSince > 1500) break;
        if (Date.now() - drainStart > 120_000) break;
      }
      const usage = await servers[server].child.request<Message & { loopDelayMs: unknown }>(
        { type: 'usage' },
        'usage',
      );
      return {
        ...result,
        followUps: byMethod,
        drainMs: Date.now() - drainStart,
        loopDelayMs: usage.loopDelayMs,
      } as Record<string, unknown> & { latency: unknown };
    };
    log('[bench] ack: warm-up');
    for (const server of ['bare', 'tispace'] as const)
      for (const kind of ['command', 'action'] as const) await runOnce(server, kind, 50, 2);
    for (let round = 0; round < rounds; round++) {
      // Alternate which server goes first, so a drift in machine load does not favour one.
      const order: Server[] = round % 2 === 0 ? ['bare', 'tispace'] : ['tispace', 'bare'];
      for (const offered of loads)
        for (const connections of connectionLevels)
          for (const kind of ['command', 'action'] as const)
            for (const server of order) {
              const r = await runOnce(
                server,
                kind,
                connections,
                duration,
                offered === 'closed' ? undefined : offered,
              );
              const latency = r.latency as { p50: number; p99: number; max: number };
              const run: Run = {
                round,
                load: offered,
                server,
                kind,
                connections,
                p50: latency.p50,
                p99: latency.p99,
                max: latency.max,
                rps: round1(r.requestsPerSec as number),
                ok: r.ok as number,
                non2xx: r.non2xx as number,
                errors: r.errors as number,
                timeouts: r.timeouts as number,
                followUps: r.followUps as Record<string, number>,
                drainMs: r.drainMs as number,
                loopDelayMs: r.loopDelayMs as Run['loopDelayMs'],
                loadLoopDelayMs: r.loadLoopDelayMs as Run['loadLoopDelayMs'],
              };
              runs.push(run);
              log(
                `[bench] ack round ${round + 1}/${rounds} ${offered === 'closed' ? 'closed loop' : `${offered} req/s`} ${server} ${kind} c=${connections}: p50 ${run.p50} ms p99 ${run.p99} ms, ${run.rps} req/s, non2xx ${run.non2xx}, errors ${run.errors}`,
              );
            }
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    await deleteNamespace(o.kc, ns).catch((e: unknown) =>
      log(`[bench] could not delete ${ns}: ${String(e)}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }
  const cases = loads.flatMap((offered) =>
    connectionLevels.flatMap((connections) =>
      (['command', 'action'] as const).map((kind) => {
        const of = (server: Server) =>
          runs.filter(
            (r) =>
              r.load === offered && r.server === server && r.kind === kind && r.connections === connections,
          );
        const bare = of('bare');
        const tispace = of('tispace');
        const perRoundRatio = tispace.map(
          (t) => t.p99 / (bare.find((b) => b.round === t.round)?.p99 ?? Number.NaN),
        );
        const p99Bare = median(bare.map((r) => r.p99));
        const p99TiSpace = median(tispace.map((r) => r.p99));
        const ratio = p99TiSpace / p99Bare;
        return {
          load: offered,
          kind,
          connections,
          bare: {
            p50: spread(bare.map((r) => r.p50)),
            p99: spread(bare.map((r) => r.p99)),
            rps: median(bare.map((r) => r.rps)),
          },
          tispace: {
            p50: spread(tispace.map((r) => r.p50)),
            p99: spread(tispace.map((r) => r.p99)),
            rps: median(tispace.map((r) => r.rps)),
          },
          p99Ratio: round(ratio, 2),
          p99RatioPerRound: spread(perRoundRatio),
          tispaceLoopDelayMs: {
            p99: spread(tispace.map((r) => r.loopDelayMs.p99)),
            max: spread(tispace.map((r) => r.loopDelayMs.max)),
          },
          bareLoopDelayMs: { max: spread(bare.map((r) => r.loopDelayMs.max)) },
          loadGeneratorLoopDelayMs: {
            bare: spread(bare.map((r) => r.loadLoopDelayMs.max)),
            tispace: spread(tispace.map((r) => r.loadLoopDelayMs.max)),
          },
          tispaceDrainMs: spread(tispace.map((r) => r.drainMs)),
          targets: {
            ratioWithin1_5: ratio <= 1.5,
            ...(connections === 50 ? { p99Under100ms: p99TiSpace < 100 } : {}),
          },
          failures: {
            bare: sum(bare.map((r) => r.non2xx + r.errors + r.timeouts)),
            tispace: sum(tispace.map((r) => r.non2xx + r.errors + r.timeouts)),
          },
        };
      }),
    ),
  );
  return {
    method: {
      rounds,
      durationSecondsPerRun: duration,
      loads: [
        'closed loop (each connection sends its next request when the answer arrives)',
        `${fixedRate} req/s offered in total`,
      ],
      connections: connectionLevels,
      users,
      command: '/tispace list (10 of 50 users own 2 machines each)',
      action: 'block_actions: App Home "Next →" (home_page_next, republishes the Home tab)',
      processes: 'load generator, fake Slack, bare Bolt and TiSpace: four separate Node processes',
      placement,
    },
    cases,
    runs,
    controlPlaneCpuSeconds: cpuDelta(cpuBefore, componentCpuSeconds()),
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
}

const round1 = (x: number) => Math.round(x);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
