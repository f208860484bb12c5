// Section `gateway`: what the SSH gateway adds to a login.
//
// 1. AuthorizedKeysCommand latency, measured as sshd pays it: the shipped images/gateway/tispace-authorized-keys
//    script exec'd as a process by a small parent as sshd is (as nobody when run as root, with sshd's minimal
//    environment; bench/lib/exec-child.ts says why the parent's size matters) with a key's
//    fingerprint, against TiSpace's real HTTP endpoint (createWeb's gateway routes over a Provisioner on a
//    real SQLite store of 10,000 machines and 5,000 users with a key each). One call at a time, as one
//    login makes them (sshd asks twice per key: before and after the signature). Also the server's own time.
//    Needs no cluster and no root.
// 2. SSH connection setup (`ssh … true`, the real client, a fresh connection each time) to a machine on the
//    real node, through the gateway (the printed `ssh -J` command: the shipped sshd as a host process,
//    test/cluster/gateway.ts) against directly to the machine's ClusterIP, alternating, same run. Root and
//    the real node only.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { GATEWAY_DIR } from '../images/gateway-builder.ts';
import { Provisioner, parseConfig, sshCommand } from '../provisioner/api.ts';
import { keyscanHostKeys } from '../provisioner/ssh/host-key-reader.ts';
import { newInstanceRow } from '../provisioner/store/instances-repo.ts';
import { Store } from '../provisioner/store/store.ts';
import { keyCommandEnv } from '../test/cluster/gateway.ts';
import { prepareDebianMachine } from '../test/cluster/node/debian-machine.ts';
import { gatewayConfig, startFrontDoor } from '../test/integration/support/gateway.ts';
import { nowhereKubeConfig } from '../test/support/kube-config.ts';
import { freshSshKey } from '../test/support/ssh-client.ts';
import { runPrintedJump, runSsh } from '../test/support/ssh-jump.ts';
import { createWeb } from '../web/app.ts';
import { type Child, startChild } from './lib/child.ts';
import { createNamespace, deleteNamespace, log } from './lib/cluster.ts';
import { benchConfig, benchEmail, benchUser, TEAM } from './lib/config.ts';
import type { ExecRequest, ExecResult } from './lib/exec-child.ts';
import { latency, median, round, until } from './lib/stats.ts';

export interface GatewayBenchOptions {
  quick: boolean;
  /** The control plane, for part 2 (absent: part 2 is skipped). */
  kc?: KubeConfig | undefined;
  /** Root and the real node are there (part 2). */
  realNode: boolean;
}

const MACHINES = 10_000;
const USERS = 5_000;
const NAMESPACE = 'tispace';
const D = 86_400_000;

/** An ed25519 public key line and its OpenSSH SHA256 fingerprint, without ssh-keygen (5,000 of them). */
function keyPair(comment: string): { publicKey: string; fingerprint: string } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return {
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
  };
}

/** The store: USERS linked users with a key each, MACHINES machines (2 per user), half of them running. */
function seed(db: string, now: Date): string[] {
  const store = Store.open(db);
  const fingerprints: string[] = [];
  store.transaction(() => {
    for (let u = 0; u < USERS; u++) {
      const userId = benchUser(u);
      store.users.link(userId, {
        teamId: TEAM,
        googleSub: `sub-${u}`,
        email: benchEmail(u),
        linkedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 30 * D).toISOString(),
      });
      const key = keyPair(`user${u}@laptop`);
      store.keys.add({
        userId,
        fingerprint: key.fingerprint,
        type: 'ssh-ed25519',
        comment: `user${u}@laptop`,
        publicKey: key.publicKey,
        createdAt: now.toISOString(),
      });
      fingerprints.push(key.fingerprint);
    }
    for (let i = 0; i < MACHINES; i++) {
      const u = i % USERS;
      const id = `m${Math.floor(i / USERS)}-g${i.toString(36).padStart(5, '0')}`;
      const running = i % 2 === 0;
      store.instances.insert(
        newInstanceRow({
          id,
          name: `m${Math.floor(i / USERS)}`,
          ownerId: benchUser(u),
          ownerEmail: benchEmail(u),
          image: 'ubuntu-22.04',
          cpu: 1,
          memoryGiB: 2,
          diskGiB: 20,
          loginUser: 'ubuntu',
          desired: running ? 'running' : 'stopped',
          phase: running ? 'running' : 'stopped',
          sshHost: `${id}-ssh.${NAMESPACE}`,
          sshPort: 22,
          createdAt: now.toISOString(),
          leaseEndsAt: new Date(now.getTime() + 7 * D).toISOString(),
        }),
        now.toISOString(),
      );
    }
  });
  store.close();
  return fingerprints;
}

/** One exec by the small runner process (bench/lib/exec-child.ts): its time to exit, exit code and output. */
const execByRunner = (runner: Child, cmd: string, args: string[], options: Partial<ExecRequest> = {}) =>
  runner.request<ExecResult>({ ...options, type: 'exec', cmd, args }, 'exec-done');

/** Runs the shipped script once as sshd does (a process of a small parent; nobody when root). */
const authorizedKeys = (runner: Child, dir: string, fingerprint: string) =>
  execByRunner(runner, path.join(GATEWAY_DIR, 'tispace-authorized-keys'), [fingerprint], {
    env: keyCommandEnv(dir),
    ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
  });

async function keyCommandLatency(o: GatewayBenchOptions) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-bench-gw-'));
  const servers: Server[] = [];
  let provisioner: Provisioner | undefined;
  const runner = startChild(path.join(import.meta.dirname, 'lib', 'exec-child.ts'));
  try {
    const now = new Date();
    const db = path.join(scratch, 'tispace.db');
    log(`[gateway] seeding ${USERS} users with a key each and ${MACHINES} machines`);
    const fingerprints = seed(db, now);
    provisioner = new Provisioner({
      config: benchConfig(NAMESPACE),
      kubeConfig: nowhereKubeConfig(),
      store: db,
      log: pino({ level: 'silent' }),
    });
    const token = 'bench-gateway-token-0123456789abcdef';
    const serverMs: number[] = [];
    const web = createWeb({
      provisioner,
      log: pino({ level: 'silent' }),
      publicUrl: 'http://127.0.0.1',
      gateway: { token, sessions: provisioner.gatewaySessions },
    });
    const server = createServer((req, res) => {
      const t0 = performance.now();
      res.once('finish', () => serverMs.push(performance.now() - t0));
      web.handle(req, res);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The gateway's /etc/tispace-gateway, readable by nobody.
    const conf = path.join(scratch, 'conf');
    mkdirSync(conf);
    writeFileSync(path.join(conf, 'url'), `${url}\n`);
    writeFileSync(path.join(conf, 'token'), `${token}\n`);
    for (const p of [scratch, conf]) chmodSync(p, 0o755);
    for (const f of ['url', 'token']) chmodSync(path.join(conf, f), 0o644);

    // Correctness first: a running owner's key gets its permitopen, an unknown key nothing.
    const first = await authorizedKeys(runner, conf, fingerprints[0]!);
    if (first.code !== 0 || !first.stdout.includes(`permitopen="m0-g00000-ssh.${NAMESPACE}:22"`))
      throw new Error(`unexpected answer for a known key (exit ${first.code}): ${first.stdout}`);
    const unknown = keyPair('nobody').fingerprint;
    const none = await authorizedKeys(runner, conf, unknown);
    if (none.code !== 0 || none.stdout !== '')
      throw new Error(`unexpected answer for an unknown key (exit ${none.code}): ${none.stdout}`);

    const n = o.quick ? 300 : 2_000;
    for (let i = 0; i < 20; i++) await authorizedKeys(runner, conf, fingerprints[i]!); // warm-up
    serverMs.length = 0;
    const known: number[] = [];
    const unknownMs: number[] = [];
    for (let i = 0; i < n; i++) {
      // One in ten offered keys is unknown (agents offer every key they hold).
      const isUnknown = i % 10 === 9;
      const r = await authorizedKeys(
        runner,
        conf,
        isUnknown ? keyPair('x').fingerprint : fingerprints[(i * 7919) % USERS]!,
      );
      if (r.code !== 0) throw new Error(`the key command failed (exit ${r.code})`);
      (isUnknown ? unknownMs : known).push(r.ms);
    }
    // Baselines on this machine at this time, against a bare server answering a line: starting a process
    // at all (/bin/true: the least any AuthorizedKeysCommand costs here), and curl alone (what the script
    // cost at least before it spoke HTTP itself).
    const line = `restrict,port-forwarding,permitopen="m0-g00000-ssh.${NAMESPACE}:22" ssh-ed25519 AAAA\n`;
    const bare = createServer((_req, res) => res.end(line));
    servers.push(bare);
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    const trueMs: number[] = [];
    const bareMs: number[] = [];
    const trueFromHereMs: number[] = [];
    const exec = async (cmd: string, args: string[]) => (await execByRunner(runner, cmd, args)).ms;
    for (let i = 0; i < Math.min(n, 300); i++) {
      trueMs.push(await exec('/bin/true', []));
      bareMs.push(await exec('curl', ['-fsS', '--max-time', '3', bareUrl]));
      trueFromHereMs.push(await execHereMs('/bin/true'));
    }
    const all = [...known, ...unknownMs];
    const wall = latency(all);
    return {
      store: { machines: MACHINES, users: USERS, keys: USERS, runningMachines: MACHINES / 2 },
      calls: n,
      processWallMs: roundLat(wall),
      knownKeyMs: roundLat(latency(known)),
      unknownKeyMs: roundLat(latency(unknownMs)),
      serverMs: roundLat(latency(serverMs)),
      processStartMs: roundLat(latency(trueMs)),
      bareCurlMs: roundLat(latency(bareMs)),
      processStartFromBenchProcessMs: roundLat(latency(trueFromHereMs)),
      target: { p99UnderMs: 20, met: wall.p99 < 20 },
      overProcessStart: {
        p50: round(wall.p50 / latency(trueMs).p50, 2),
        p99: round(wall.p99 / latency(trueMs).p99, 2),
      },
      method:
        'the shipped script exec’d per call (bash, HTTP over /dev/tcp, no other process) by a small process as sshd is (bench/lib/exec-child.ts), as nobody when root, sshd’s environment; sequential; server time = request to last byte in TiSpace’s HTTP server; process start = /bin/true exec’d the same way; from the bench process = /bin/true exec’d by this large process, to show what the parent’s size costs',
    };
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    provisioner?.store.close();
    await runner.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Wall time of one exec of `cmd` by this (large) process, to its exit. */
function execHereMs(cmd: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, [], { stdio: ['ignore', 'ignore', 'ignore'] });
    c.once('error', reject);
    c.once('close', () => resolve(performance.now() - t0));
  });
}

const roundLat = (l: ReturnType<typeof latency>) => ({
  n: l.n,
  p50: round(l.p50, 2),
  p90: round(l.p90, 2),
  p99: round(l.p99, 2),
  max: round(l.max, 2),
});

async function connectionSetup(o: GatewayBenchOptions & { kc: KubeConfig }) {
  const namespace = `bench-gw-${Date.now().toString(36)}`;
  const kc = o.kc;
  await createNamespace(kc, namespace);
  const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-bench-gw-ssh-'));
  let p: Provisioner | undefined;
  let door: Awaited<ReturnType<typeof startFrontDoor>> | undefined;
  try {
    log('[gateway] building/importing the debian-12 image (cached after the first run)');
    const { config: machine } = await prepareDebianMachine(kc, namespace);
    const { port, gateway } = await gatewayConfig();
    const parsed = parseConfig({ namespace, admins: [], ...machine, gateway });
    if (!parsed.ok) throw new Error(parsed.error.message);
    p = new Provisioner({
      config: parsed.value,
      kubeConfig: kc,
      store: path.join(scratch, 'tispace.db'),
      log: pino({ level: 'silent' }),
      hostKeys: keyscanHostKeys,
    });
    await p.start();
    door = await startFrontDoor(p, { kubeConfig: kc, port });
    const actor = { userId: benchUser(0), teamId: TEAM };
    p.api.linkIdentity(actor, { googleSub: 'gw-0', email: benchEmail(0) });
    const key = freshSshKey('bench@gateway');
    const added = p.api.addKey(actor, key.publicKey);
    if (!added.ok) throw new Error(added.error.message);
    const created = await p.api.create(actor, { name: 'gw', cpu: 1, memoryGiB: 1, image: 'debian-12' });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    const instance = await until(
      async () => {
        const got = p!.api.get(actor, id);
        return got.ok && got.value.phase === 'running' && got.value.hostKeys.length ? got.value : undefined;
      },
      `${id} running`,
      300_000,
      200,
    );
    await door.gateway.waitForHost(instance.sshHost!);
    const printed = sshCommand(instance)!;
    const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: `${id}-ssh`, namespace });
    const clusterIp = svc.spec!.clusterIP!;
    const known = [
      door.gateway.knownHostsLine,
      ...instance.hostKeys.map((k) => `${instance.sshHost} ${k.publicKey}`),
      ...instance.hostKeys.map((k) => `${clusterIp} ${k.publicKey}`),
    ];
    const viaGateway = () => runPrintedJump(printed, key, 'true', { knownHosts: known });
    const direct = () => runSsh(key, [`debian@${clusterIp}`, 'true'], { knownHosts: known });
    await until(
      async () => ((await viaGateway()).code === 0 ? true : undefined),
      'a first login',
      120_000,
      500,
    );
    const rounds = o.quick ? 10 : 30;
    const gw: number[] = [];
    const dir: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternating, so load on the shared machine weighs on both alike.
      for (const [run, into] of (i % 2
        ? [
            [direct, dir],
            [viaGateway, gw],
          ]
        : [
            [viaGateway, gw],
            [direct, dir],
          ]) as [() => ReturnType<typeof viaGateway>, number[]][]) {
        const r = await run();
        if (r.code !== 0) throw new Error(`ssh failed (exit ${r.code}): ${r.stderr}`);
        into.push(r.ms);
      }
    }
    return {
      rounds,
      viaGatewayMs: roundLat(latency(gw)),
      directMs: roundLat(latency(dir)),
      medianRatio: round(median(gw) / median(dir), 2),
      addedMedianMs: round(median(gw) - median(dir), 1),
      method:
        '`ssh … true` with the real client, a new connection each time (no multiplexing); through the gateway = the printed ssh -J command (two SSH handshakes, two key checks at the gateway); direct = ssh to the ClusterIP from this host (kube-proxy)',
    };
  } finally {
    await door?.close();
    await p?.stop();
    p?.store.close?.();
    await deleteNamespace(kc, namespace).catch((e: unknown) => log(`[gateway] cleanup: ${String(e)}`));
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function gatewayBench(o: GatewayBenchOptions) {
  // bash runs the script and curl is a baseline; say so plainly rather than failing inside the loop.
  execFileSync('sh', ['-c', 'command -v bash >/dev/null && command -v curl >/dev/null'], { stdio: 'ignore' });
  const keyCommand = await keyCommandLatency(o);
  log(
    `[gateway] key command p50 ${keyCommand.processWallMs.p50} ms, p99 ${keyCommand.processWallMs.p99} ms; ` +
      `process start alone p50 ${keyCommand.processStartMs.p50} ms, p99 ${keyCommand.processStartMs.p99} ms`,
  );
  const setup =
    o.realNode && o.kc
      ? await connectionSetup({ ...o, kc: o.kc })
      : {
          skipped:
            'SSH connection setup needs root and the real node (machines that boot; TISPACE_REAL_NODE=0 turns it off)',
        };
  return { keyCommand, connectionSetup: setup };
}
