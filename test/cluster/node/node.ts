import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binaryPath } from '../build.ts';
import { writeKubeconfigFile } from '../kubeconfig-file.ts';
import { repoRoot } from '../paths.ts';
import { clientIdentities, type Pki } from '../pki.ts';
import { isPortFree } from '../ports.ts';
import {
  cniConfig,
  crioConfig,
  kubeletConfig,
  kubeProxyConfig,
  type NodePorts,
  signaturePolicy,
} from './config.ts';
import { bridgeName, cgroupRoot, nodeName, nodePaths, podSubnet, realNodeLabels } from './layout.ts';

const run = promisify(execFile);

/** Builds (once, cached by version + patch hash) cri-o with TiSpace's patch and pinns; returns their dir. */
export async function ensureCrio(log: (line: string) => void): Promise<string> {
  const script = path.join(repoRoot, 'crio', 'build-node.sh');
  const started = Date.now();
  const { stdout } = await run('bash', [script], { maxBuffer: 64 * 1024 * 1024 }).catch((err) => {
    throw new Error(`crio/build-node.sh failed:\n${String(err.stderr ?? '').slice(-4000)}`);
  });
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(dir, 'crio')))
    throw new Error(`crio/build-node.sh printed no bin dir: ${stdout}`);
  if (Date.now() - started > 5_000)
    log(`[node] cri-o built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

/** A free loopback port in 21000-22999: below the NodePort range (30000-32767), away from the preferred ones. */
async function freePort(avoid: Set<number>): Promise<number> {
  for (;;) {
    const port = 21_000 + Math.floor(Math.random() * 2_000);
    if (!avoid.has(port) && (await isPortFree(port))) {
      avoid.add(port);
      return port;
    }
  }
}

async function choosePorts(): Promise<NodePorts> {
  const taken = new Set<number>();
  const pick = () => freePort(taken);
  return {
    kubelet: await pick(),
    kubeletHealthz: await pick(),
    proxyHealthz: await pick(),
    proxyMetrics: await pick(),
  };
}

/** Creates the pod bridge with the node's address (the CNI bridge plugin then reuses it). */
function ensureBridge(gateway: string, subnet: string): void {
  if (!quiet('ip', ['link', 'show', bridgeName]))
    execFileSync('ip', ['link', 'add', bridgeName, 'type', 'bridge']);
  const prefix = subnet.split('/')[1];
  if (!quiet('ip', ['-4', 'addr', 'show', 'dev', bridgeName]).includes(`${gateway}/`))
    execFileSync('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', bridgeName]);
  execFileSync('ip', ['link', 'set', bridgeName, 'up']);
}

/**
 * The kubelet sets hugepage limits for every size the kernel offers, and runc then needs the hugetlb
 * hierarchy. A cgroup v1 host mounts every enabled controller (systemd does); this sandbox leaves hugetlb
 * unmounted, so mount it where a host would have it. Host-wide and shared: `down` leaves it.
 */
function ensureHugetlbHierarchy(): void {
  const enabled = /^hugetlb\s+\d+\s+\d+\s+1$/m.test(readFileSync('/proc/cgroups', 'utf8'));
  const dir = '/sys/fs/cgroup/hugetlb';
  if (!enabled || existsSync(path.join(dir, 'cgroup.procs'))) return;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'hugetlb', dir], { stdio: 'pipe' });
  } catch (error) {
    // Another checkout's node mounted it between the check and the mount: that is what we wanted.
    if (!existsSync(path.join(dir, 'cgroup.procs'))) throw error;
  }
}

/** The kubelet wants its cgroup root to exist in every v1 hierarchy (cpuset needs its cpus/mems set). */
function ensureCgroupRoot(): void {
  ensureHugetlbHierarchy();
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    if (hierarchy === 'unified') continue;
    const base = path.join('/sys/fs/cgroup', hierarchy);
    const dir = path.join(base, cgroupRoot);
    if (!existsSync(path.join(base, 'cgroup.procs'))) continue;
    mkdirSync(dir, { recursive: true });
    if (hierarchy === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (readFileSync(path.join(dir, f), 'utf8').trim() === '')
          writeFileSync(path.join(dir, f), readFileSync(path.join(base, f), 'utf8'));
      }
    }
  }
}

export interface NodeLaunch {
  name: 'crio' | 'kubelet' | 'kube-proxy';
  command: string;
  args: string[];
  match: string;
  health?: { url: string; timeoutMs: number };
}

/** Writes the node's configuration and returns its processes in start order. */
export async function prepareNode(pki: Pki, apiserverUrl: string, crioBin: string): Promise<NodeLaunch[]> {
  for (const dir of [nodePaths.dir, nodePaths.crioConfigDir, nodePaths.cniConfigDir, nodePaths.kubeletDir])
    mkdirSync(dir, { recursive: true });
  ensureCgroupRoot();
  const ports = await choosePorts();
  writeFileSync(path.join(nodePaths.dir, 'ports.json'), `${JSON.stringify(ports, null, 2)}\n`);
  writeFileSync(nodePaths.crioConfig, crioConfig(path.join(crioBin, 'pinns')));
  // Production's drop-in first, then the local node's override of the same handler: cri-o reads the
  // directory in lexical order, hence the prefixes.
  rmSync(nodePaths.crioConfigDir, { recursive: true, force: true });
  mkdirSync(nodePaths.crioConfigDir, { recursive: true });
  copyFileSync(
    path.join(repoRoot, 'crio', 'crio.conf.d', '99-tispace-kata.conf'),
    path.join(nodePaths.crioConfigDir, '10-production-99-tispace-kata.conf'),
  );
  copyFileSync(
    path.join(repoRoot, 'crio', 'local-node.conf.d', '99-tispace-kata-runc.conf'),
    path.join(nodePaths.crioConfigDir, '20-local-node-99-tispace-kata-runc.conf'),
  );
  writeFileSync(nodePaths.policy, signaturePolicy());
  writeFileSync(path.join(nodePaths.cniConfigDir, '10-tispace-node.conflist'), cniConfig());
  const node = pki.client(clientIdentities.node);
  writeKubeconfigFile(nodePaths.kubeconfig, {
    server: apiserverUrl,
    caFile: pki.caCert,
    certFile: node.cert,
    keyFile: node.key,
    user: clientIdentities.node.commonName,
  });
  const { subnet, gateway } = podSubnet();
  ensureBridge(gateway, subnet);
  const proxy = pki.client(clientIdentities.kubeProxy);
  writeKubeconfigFile(nodePaths.kubeProxyKubeconfig, {
    server: apiserverUrl,
    caFile: pki.caCert,
    certFile: proxy.cert,
    keyFile: proxy.key,
    user: clientIdentities.kubeProxy.commonName,
  });
  writeFileSync(nodePaths.kubeletConfig, kubeletConfig({ caFile: pki.caCert, ports, nodeIp: gateway }));
  writeFileSync(
    nodePaths.kubeProxyConfig,
    kubeProxyConfig({ clusterCidr: subnet, nodePortCidr: `${gateway}/32`, ports, hostname: nodeName }),
  );
  const crio = path.join(crioBin, 'crio');
  return [
    {
      name: 'crio',
      command: crio,
      args: ['--config', nodePaths.crioConfig, '--config-dir', nodePaths.crioConfigDir],
      match: crio,
    },
    {
      name: 'kubelet',
      command: binaryPath('kubelet'),
      args: [
        `--config=${nodePaths.kubeletConfig}`,
        `--kubeconfig=${nodePaths.kubeconfig}`,
        `--root-dir=${nodePaths.kubeletDir}`,
        `--hostname-override=${nodeName}`,
        // The kubelet refuses a loopback node IP: the node's address is its own bridge's (made here), so
        // the API server, NodePorts and SSH reach it without leaving this host.
        `--node-ip=${gateway}`,
        `--node-labels=${Object.entries(realNodeLabels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`,
        '--v=1',
      ],
      match: nodePaths.kubeletConfig,
      health: { url: `http://127.0.0.1:${ports.kubeletHealthz}/healthz`, timeoutMs: 120_000 },
    },
    {
      name: 'kube-proxy',
      command: binaryPath('kube-proxy'),
      args: [`--config=${nodePaths.kubeProxyConfig}`, '--v=1'],
      match: nodePaths.kubeProxyConfig,
      health: { url: `http://127.0.0.1:${ports.proxyHealthz}/healthz`, timeoutMs: 60_000 },
    },
  ];
}

/** Waits until cri-o answers on its socket (its gRPC server is up once the socket exists). */
export async function waitCrio(isAlive: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('crio exited during start');
    if (existsSync(nodePaths.crioSocket)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`crio did not listen on ${nodePaths.crioSocket} within ${timeoutMs / 1000} s`);
}

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** Mount points at or below `dir` (from /proc/self/mountinfo), deepest first. */
export function mountsBelow(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** conmon processes whose command line mentions `text` (the node's state dir): this node's monitors. */
function conmonsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of quiet('ls', ['/proc']).split('\n')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'conmon' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text))
        pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * After crio and the kubelet stopped: kills this node's containers (runc, with the node's own state
 * root), their conmon monitors, unmounts everything the node mounted below its state dir (volumes, shm,
 * network namespaces, overlay roots), removes its bridge and its cgroups. Touches nothing else.
 */
export function cleanupNode(log: (line: string) => void): void {
  if (existsSync(nodePaths.runcRoot)) {
    const ids = quiet('runc', ['--root', nodePaths.runcRoot, 'list', '-q']).split('\n').filter(Boolean);
    for (const id of ids) {
      quiet('runc', ['--root', nodePaths.runcRoot, 'kill', id, 'KILL']);
      quiet('runc', ['--root', nodePaths.runcRoot, 'delete', '--force', id]);
    }
    if (ids.length) log(`[node] removed ${ids.length} container(s)`);
  }
  for (const pid of conmonsMentioning(nodePaths.dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const mounts = mountsBelow(nodePaths.dir);
  for (const m of mounts) quiet('umount', ['-l', m]);
  if (mounts.length) log(`[node] unmounted ${mounts.length} mount(s) below ${nodePaths.dir}`);
  if (quiet('ip', ['link', 'show', bridgeName])) quiet('ip', ['link', 'delete', bridgeName]);
  // Pod cgroups are empty once the containers are gone; remove them deepest first.
  for (const hierarchy of quiet('ls', ['/sys/fs/cgroup']).split('\n').filter(Boolean)) {
    const root = path.join('/sys/fs/cgroup', hierarchy, cgroupRoot);
    if (!existsSync(root)) continue;
    const dirs = quiet('find', [root, '-depth', '-type', 'd']).split('\n').filter(Boolean);
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // busy or gone
      }
    }
  }
}
