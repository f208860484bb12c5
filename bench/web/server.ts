// Child process: the web front end under test, and its baseline. `tispace`: createWeb over a Provisioner
// on the benchmark's SQLite file (never started: pages and SSE read the store, not the cluster), with
// capacity for the KWOK-like nodes the rows sit on. `bare`: a node:http server in the same process that
// answers the same number of bytes (pages) or fans the same number of same-sized events out to the same
// subscribers (SSE), doing nothing else — the floor of this machine's HTTP cost at the time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createLogger } from '../../bot/logger.ts';
import type { NodeFree, Provisioner as P } from '../../provisioner/api.ts';
import { Provisioner } from '../../provisioner/api.ts';
// Never dialled: the Provisioner is not started.
import { nowhereKubeConfig } from '../../test/support/kube-config.ts';
import { createWeb } from '../../web/app.ts';
import { type Message, serveParent } from '../lib/child.ts';
import { benchConfig } from '../lib/config.ts';

const GiB = 1024 ** 3;
const epoch = () => performance.timeOrigin + performance.now();

/** Server time of each request: from the request event to the last byte handed to the socket. */
const serverTimes: Record<string, number[]> = { tispace: [], bare: [] };
const timed =
  (kind: 'tispace' | 'bare', handle: (req: IncomingMessage, res: ServerResponse) => void) =>
  (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    // SSE streams never finish; only pages are timed.
    if (!/^\/(api\/v1\/)?events/.test(req.url ?? ''))
      res.once('finish', () => serverTimes[kind]!.push(performance.now() - t0));
    handle(req, res);
  };

const listen = (server: Server) =>
  new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));

let provisioner: Provisioner | undefined;
let web: ReturnType<typeof createWeb> | undefined;
const servers: Server[] = [];

/** Bare SSE: subscribers by user; an admin gets every event (the same fan-out rule as the hub). */
const bareSubscribers: { userId: string; admin: boolean; res: ServerResponse }[] = [];
/** Bare pages: the byte count of each path, as TiSpace last answered it. */
const bareBodies = new Map<string, Buffer>();

function bareHandle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    res.write('retry: 3000\n\n');
    const s = { userId: url.searchParams.get('user') ?? '', admin: url.searchParams.has('admin'), res };
    bareSubscribers.push(s);
    res.on('close', () => bareSubscribers.splice(bareSubscribers.indexOf(s), 1));
    return;
  }
  const body = bareBodies.get(url.pathname) ?? Buffer.alloc(0);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

serveParent({
  async start(m) {
    const nodes = Number(m.nodes);
    const capacity: NodeFree[] = Array.from({ length: nodes }, (_, i) => ({
      node: `bench-${String(i).padStart(3, '0')}`,
      cpuMilli: 128_000 - 50_000,
      memoryBytes: (512 - 100) * GiB,
      allocatable: { cpuMilli: 128_000, memoryBytes: 512 * GiB },
    }));
    // Production log level (info), written to /dev/null so the cost of logging is included.
    const log = createLogger({
      level: 'info',
      destination: pino.destination({ dest: '/dev/null', sync: false }),
    });
    provisioner = new Provisioner({
      config: benchConfig('bench-web'),
      kubeConfig: nowhereKubeConfig(),
      store: String(m.db),
      log,
    });
    const p = provisioner;
    // The capacity source reads node informers, which run only in a started Provisioner.
    const api = new Proxy(p.api, {
      get: (target, key) =>
        key === 'capacity'
          ? () => ({ ok: true, value: capacity })
          : (Reflect.get(target, key) as unknown as { bind?: unknown }) instanceof Function
            ? (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target)
            : Reflect.get(target, key),
    }) as P['api'];
    web = createWeb({
      provisioner: { api, web: p.web, events: p.events, gateway: p.gateway },
      log,
      publicUrl: 'https://tispace.bench.example',
    });
    const tispace = createServer(timed('tispace', web.handle));
    const bare = createServer(timed('bare', bareHandle));
    servers.push(tispace, bare);
    return { type: 'started', tispace: await listen(tispace), bare: await listen(bare) };
  },

  /** Sessions for the given users (as a sign-in would open them); returns the cookie values. */
  async sessions(m) {
    const users = m.users as string[];
    return {
      type: 'sessions',
      cookie: '__Host-tispace_session',
      tokens: users.map((u) => provisioner!.web.openSession(u).token),
    };
  },

  /** The bare server answers `path` with as many bytes as TiSpace's answer had. */
  async bareBody(m) {
    bareBodies.set(String(m.path), Buffer.alloc(Number(m.bytes), 'x'));
    return { type: 'ok' };
  },

  async takeServerTimes() {
    const out = { type: 'serverTimes', tispace: serverTimes.tispace, bare: serverTimes.bare };
    serverTimes.tispace = [];
    serverTimes.bare = [];
    return out;
  },

  async subscribers() {
    return { type: 'subscribers', tispace: web!.live.size, bare: bareSubscribers.length };
  },

  /**
   * `ids` change phase, one after another as the reconciler reports them: the store row is written, then
   * the notifier is called (TiSpace's LiveHub renders each card per subscriber, as that subscriber).
   * Returns, per id, when the notifier was called (epoch ms, comparable across processes).
   */
  async fanOut(m) {
    const ids = m.ids as string[];
    const phase = String(m.phase) as 'running' | 'stopped';
    const sentAt: Record<string, number> = {};
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (m.kind === 'tispace') {
      const { store } = provisioner!;
      const now = new Date().toISOString();
      for (const id of ids) {
        const changed = store.instances.update(
          id,
          { phase, desired: phase === 'stopped' ? 'stopped' : 'running' },
          now,
        );
        sentAt[id] = epoch();
        await web!.live.instanceChanged(changed!, {
          from: phase === 'stopped' ? 'running' : 'stopped',
          to: phase,
        });
      }
    } else {
      const owners = m.owners as Record<string, string>;
      const data = String(m.data);
      for (const id of ids) {
        sentAt[id] = epoch();
        const event = `event: machine\ndata: ${JSON.stringify({ id, mine: true, html: data })}\n\n`;
        for (const s of bareSubscribers) if (s.admin || s.userId === owners[id]) s.res.write(event);
      }
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      type: 'fannedOut',
      sentAt,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  },

  async stop() {
    web?.close();
    for (const s of bareSubscribers.splice(0)) s.res.end();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    provisioner?.store.close();
    process.exit(0);
  },
} satisfies Record<string, (m: Message) => Promise<Message | undefined>>);
