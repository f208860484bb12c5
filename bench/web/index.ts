// Section 5: the web front end. Pages: the dashboard of a user with 60 machines and the admin page at
// 10,000 machines (server time p99, page weight); live updates: 500 open dashboards (SSE) while 100
// machines change state (delivery p99). TiSpace's web runs in a child process of its own, next to a bare
// node:http server doing only the HTTP part of the same work; both are measured in the same run, in
// alternating order, so the ratio says what TiSpace adds on this (shared, noisy) machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Store } from '../../provisioner/store/store.ts';
import { startChild } from '../lib/child.ts';
import { log } from '../lib/cluster.ts';
import { benchEmail, benchUser, TEAM } from '../lib/config.ts';
import { latency, median, round, spread, until } from '../lib/stats.ts';
import { HOME_USER_INSTANCES, scaleRows } from '../scale/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const D = 86_400_000;
const epoch = () => performance.timeOrigin + performance.now();

export interface WebBenchOptions {
  quick: boolean;
}

const ADMIN = 'UBADMIN';
const ADMIN_EMAIL = 'admin@bench.example';
const INSTANCES = 10_000;
const NODES = 200;
const DASHBOARDS = 500;
const ADMIN_TABS = 10;
const CHANGES = 100;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET, the whole body read: client time to last byte, and the body. */
function fetchPage(
  port: number,
  p: string,
  cookie: string,
): Promise<{ ms: number; body: Buffer; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path: p, agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ ms: performance.now() - t0, body: Buffer.concat(chunks), status: res.statusCode ?? 0 }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open dashboard: an SSE stream; records when each machine event arrived (epoch ms). */
class Dashboard {
  received: { id: string; at: number }[] = [];
  events = 0;
  dataBytes = 0;
  #buffer = '';
  #req: ReturnType<typeof get> | undefined;

  open(port: number, p: string, cookie: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#req = get(
        { host: '127.0.0.1', port, path: p, headers: { cookie, accept: 'text/event-stream' } },
        (res) => {
          if (res.statusCode !== 200) return reject(new Error(`SSE ${p}: HTTP ${res.statusCode}`));
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = epoch();
            this.#buffer += chunk;
            let end = this.#buffer.indexOf('\n\n');
            while (end >= 0) {
              const event = this.#buffer.slice(0, end);
              this.#buffer = this.#buffer.slice(end + 2);
              const m = /^event: (?:machine|gone)\ndata: \{"id":"([^"]+)"/.exec(event);
              if (m) {
                this.events++;
                this.dataBytes = event.length;
                this.received.push({ id: m[1]!, at });
              }
              end = this.#buffer.indexOf('\n\n');
            }
          });
          resolve();
        },
      );
      this.#req.on('error', reject);
    });
  }

  close(): void {
    this.#req?.destroy();
  }
}

export async function webBench(o: WebBenchOptions) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-bench-web-'));
  const db = path.join(dir, 'tispace.db');
  const now = new Date();
  const { rows, users } = scaleRows(INSTANCES, NODES, now, 'tispace');
  const store = Store.open(db);
  store.transaction(() => {
    const link = (userId: string, email: string, sub: string) =>
      store.users.link(userId, {
        teamId: TEAM,
        googleSub: sub,
        email,
        linkedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 30 * D).toISOString(),
      });
    for (let u = 0; u < users; u++) link(benchUser(u), benchEmail(u), `sub-${u}`);
    link(ADMIN, ADMIN_EMAIL, 'sub-admin');
    for (const row of rows) {
      store.instances.insert(row, now.toISOString());
      // The audit log such a history leaves: at least one entry per machine.
      store.audit.record({
        at: row.createdAt,
        actor: row.ownerId,
        action: 'create',
        instanceId: row.id,
        reason: 'created from the web',
        details: {},
      });
    }
  });
  store.close();

  const rounds = o.quick ? 1 : 3;
  const server = startChild(path.join(here, 'server.ts'));
  const dashboards: Dashboard[] = [];
  try {
    const ports = await server.request<{ type: string; tispace: number; bare: number }>(
      { type: 'start', db, nodes: NODES },
      'started',
      120_000,
    );
    const sessionsOf = async (ids: string[]) => {
      const s = await server.request<{ type: string; cookie: string; tokens: string[] }>(
        { type: 'sessions', users: ids },
        'sessions',
      );
      return s.tokens.map((t) => `${s.cookie}=${t}`);
    };
    const [ownerCookie, adminCookie] = await sessionsOf([benchUser(0), ADMIN]);

    // ---- pages ------------------------------------------------------------------------------------
    const cases = [
      {
        key: 'dashboard',
        what: `dashboard of a user with ${HOME_USER_INSTANCES} machines`,
        path: '/',
        cookie: ownerCookie!,
        n: o.quick ? 60 : 200,
        warmup: 20,
        targetMs: 50,
      },
      {
        key: 'admin',
        what: `admin page at ${INSTANCES.toLocaleString('en')} machines`,
        path: '/admin',
        cookie: adminCookie!,
        n: o.quick ? 10 : 40,
        warmup: 3,
        targetMs: 300,
      },
    ];
    const pages: Record<string, unknown> = {};
    for (const c of cases) {
      const first = await fetchPage(ports.tispace, c.path, c.cookie);
      if (first.status !== 200) throw new Error(`${c.path}: HTTP ${first.status}`);
      const text = first.body.toString('utf8');
      const weight = {
        bytes: first.body.length,
        gzipBytes: gzipSync(first.body).length,
        machineRows: (text.match(/<article class="machine"|<tr><td><a href="\/machines\//g) ?? []).length,
      };
      await server.request({ type: 'bareBody', path: c.path, bytes: first.body.length }, 'ok');
      const perRound: {
        tispace: { server: number[]; client: number[] };
        bare: { server: number[]; client: number[] };
      }[] = [];
      log(`[web] ${c.what}: ${weight.bytes} bytes, ${rounds} round(s) of ${c.n} requests`);
      for (let r = 0; r < rounds; r++) {
        const round: (typeof perRound)[number] = {
          tispace: { server: [], client: [] },
          bare: { server: [], client: [] },
        };
        for (const kind of r % 2 ? (['tispace', 'bare'] as const) : (['bare', 'tispace'] as const)) {
          const port = kind === 'tispace' ? ports.tispace : ports.bare;
          for (let i = 0; i < c.warmup; i++) await fetchPage(port, c.path, c.cookie);
          await server.request({ type: 'takeServerTimes' }, 'serverTimes');
          for (let i = 0; i < c.n; i++) round[kind].client.push((await fetchPage(port, c.path, c.cookie)).ms);
          const times = await server.request<{ type: string; tispace: number[]; bare: number[] }>(
            { type: 'takeServerTimes' },
            'serverTimes',
          );
          round[kind].server = times[kind];
        }
        perRound.push(round);
      }
      const p99 = (k: 'tispace' | 'bare', m: 'server' | 'client') =>
        spread(perRound.map((x) => latency(x[k][m]).p99));
      const p50 = (k: 'tispace' | 'bare', m: 'server' | 'client') =>
        spread(perRound.map((x) => latency(x[k][m]).p50));
      const ratios = perRound.map((x) => latency(x.tispace.server).p99 / latency(x.bare.server).p99);
      const serverP99 = p99('tispace', 'server');
      pages[c.key] = {
        what: c.what,
        path: c.path,
        requestsPerRound: c.n,
        weight,
        tispace: {
          serverP50: p50('tispace', 'server'),
          serverP99: serverP99,
          clientP50: p50('tispace', 'client'),
          clientP99: p99('tispace', 'client'),
        },
        bare: {
          serverP50: p50('bare', 'server'),
          serverP99: p99('bare', 'server'),
          clientP99: p99('bare', 'client'),
        },
        serverP99Ratio: round(median(ratios), 1),
        serverP99RatioPerRound: spread(ratios),
        targetMs: c.targetMs,
        targetMet: serverP99.median < c.targetMs,
        samples: perRound,
      };
    }
    const assets = {
      cssBytes: (await fetchPage(ports.tispace, '/static/app.css', '')).body.length,
      jsBytes: (await fetchPage(ports.tispace, '/static/app.js', '')).body.length,
    };

    // ---- live updates: 500 dashboards, 100 machines change ------------------------------------------
    // 490 users each with their dashboard open, and one admin with 10 tabs (admins see every change).
    const viewers = Array.from({ length: DASHBOARDS - ADMIN_TABS }, (_, i) => benchUser(i + 1));
    const cookies = await sessionsOf([...viewers, ...Array(ADMIN_TABS).fill(ADMIN)]);
    // 100 machines of 100 different viewers change state.
    const changed = Array.from({ length: CHANGES }, (_, k) => {
      const owner = viewers[k * 4]!;
      const own = rows.filter((x) => x.ownerId === owner);
      return own[k % own.length]!;
    });
    const owners = Object.fromEntries(changed.map((x) => [x.id, x.ownerId]));
    const ids = changed.map((x) => x.id);
    const expected = CHANGES * (1 + ADMIN_TABS);
    const fanRounds = o.quick ? 2 : 6;

    const openAll = async (kind: 'tispace' | 'bare') => {
      for (const d of dashboards.splice(0)) d.close();
      for (let i = 0; i < DASHBOARDS; i++) {
        const d = new Dashboard();
        const admin = i >= viewers.length;
        const p =
          kind === 'tispace'
            ? '/api/v1/events'
            : `/events?user=${encodeURIComponent(admin ? ADMIN : viewers[i]!)}${admin ? '&admin' : ''}`;
        await d.open(kind === 'tispace' ? ports.tispace : ports.bare, p, cookies[i]!);
        dashboards.push(d);
      }
      await until(
        async () => {
          const s = await server.request<{ type: string; tispace: number; bare: number }>(
            { type: 'subscribers' },
            'subscribers',
          );
          return s[kind] === DASHBOARDS || undefined;
        },
        `${DASHBOARDS} ${kind} dashboards connected`,
        60_000,
      );
      // TiSpace sends each dashboard its machines' current state on connecting (20 per user): wait for them.
      if (kind === 'tispace')
        await until(
          () => dashboards.reduce((n, d) => n + d.events, 0) >= viewers.length * 20 || undefined,
          'initial machine cards',
          120_000,
        );
    };

    const live: Record<
      'tispace' | 'bare',
      { deliveryMs: ReturnType<typeof latency>[]; wallMs: number[]; cpuMs: number[] }
    > = {
      tispace: { deliveryMs: [], wallMs: [], cpuMs: [] },
      bare: { deliveryMs: [], wallMs: [], cpuMs: [] },
    };
    let cardBytes = 0;
    for (const kind of ['tispace', 'bare'] as const) {
      log(`[web] SSE: opening ${DASHBOARDS} ${kind} dashboards`);
      await openAll(kind);
      if (kind === 'tispace') cardBytes = Math.max(...dashboards.map((d) => d.dataBytes));
      for (let r = 0; r < fanRounds; r++) {
        for (const d of dashboards) d.received = [];
        const fanned = await server.request<{
          type: string;
          sentAt: Record<string, number>;
          wallMs: number;
          cpuMs: number;
        }>(
          {
            type: 'fanOut',
            kind,
            ids,
            owners,
            phase: r % 2 ? 'running' : 'stopped',
            // The bare server sends events of the size of TiSpace's cards.
            data: 'x'.repeat(Math.max(0, cardBytes - 120)),
          },
          'fannedOut',
        );
        await until(
          () => dashboards.reduce((n, d) => n + d.received.length, 0) >= expected || undefined,
          `${expected} ${kind} deliveries`,
          120_000,
          5,
        );
        const delivery = dashboards.flatMap((d) => d.received.map((x) => x.at - fanned.sentAt[x.id]!));
        live[kind].deliveryMs.push(latency(delivery));
        live[kind].wallMs.push(fanned.wallMs);
        live[kind].cpuMs.push(fanned.cpuMs);
      }
    }
    for (const d of dashboards.splice(0)) d.close();
    const p99s = (k: 'tispace' | 'bare') => spread(live[k].deliveryMs.map((x) => x.p99));
    // Rounds pair up in order (the first TiSpace round with the first bare round).
    const ratios = live.tispace.deliveryMs.map((x, i) => x.p99 / live.bare.deliveryMs[i]!.p99);
    return {
      method: {
        instances: INSTANCES,
        users: users + 1,
        nodes: NODES,
        rounds,
        placement:
          'server (TiSpace web and bare server) in one child process; requests and SSE clients in the bench process',
        sse: {
          dashboards: DASHBOARDS,
          userDashboards: viewers.length,
          adminTabs: ADMIN_TABS,
          changes: CHANGES,
          deliveriesPerRound: expected,
          rounds: fanRounds,
          cardBytes,
        },
      },
      pages,
      assets,
      live: {
        tispace: {
          deliveryP50: spread(live.tispace.deliveryMs.map((x) => x.p50)),
          deliveryP99: p99s('tispace'),
          deliveryMax: spread(live.tispace.deliveryMs.map((x) => x.max)),
          fanOutWallMs: spread(live.tispace.wallMs),
          fanOutCpuMs: spread(live.tispace.cpuMs),
        },
        bare: {
          deliveryP50: spread(live.bare.deliveryMs.map((x) => x.p50)),
          deliveryP99: p99s('bare'),
          fanOutWallMs: spread(live.bare.wallMs),
        },
        p99Ratio: round(median(ratios), 1),
        p99RatioPerRound: spread(ratios),
        samples: live,
      },
    };
  } finally {
    for (const d of dashboards) d.close();
    await server.stop().catch(() => {});
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
