import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { binaryPath, ensureBinaries } from './build.ts';
import { probe, waitHealthy } from './health.ts';
import { writeKubeconfigFile } from './kubeconfig-file.ts';
import { withLock } from './lock.ts';
import { nodeName } from './node/layout.ts';
import { cleanupNode, ensureCrio, mountsBelow, prepareNode, waitCrio } from './node/node.ts';
import { importBusyboxImage } from './node/oci-image.ts';
import { seedRealNode, waitNodeReady } from './node/seed.ts';
import { ensureVolumePool, volumePoolFile } from './node/volume-pool.ts';
import { clusterSourceDir, repoRoot, stateDir, statePaths } from './paths.ts';
import { clientIdentities, ensurePki, type Pki } from './pki.ts';
import { type ClusterPorts, choosePorts, recordedPorts } from './ports.ts';
import {
  type ComponentProcess,
  isAlive,
  type PidFile,
  readPidFile,
  removeFile,
  startProcess,
  stopProcess,
  writePidFile,
} from './processes.ts';
import { kwokNodeAnnotation, releaseNodeLeases, seedCluster } from './seed.ts';

/** Components in start order (stopped in reverse). */
export const componentNames = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'fake-csi',
] as const;

/** The real worker node's processes (`up --real-node`), started after the control plane. */
export const nodeComponentNames = ['crio', 'kubelet', 'kube-proxy', 'local-volumes'] as const;

export type ComponentName = (typeof componentNames)[number] | (typeof nodeComponentNames)[number];

export type Logger = (line: string) => void;

const defaultLog: Logger = (line) => process.stderr.write(`${line}\n`);

export const serviceClusterIpRange = '10.96.0.0/16';
export const podCidr = '10.244.0.0/16';
export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

function apiserverUrl(ports: ClusterPorts): string {
  return `https://127.0.0.1:${ports.apiserver}`;
}

/** Whether the API server recorded in ports.json answers /readyz with the admin identity. */
export async function apiserverReady(): Promise<boolean> {
  const ports = recordedPorts(statePaths.ports);
  if (!ports || !existsSync(path.join(statePaths.pki, 'ca.crt'))) return false;
  const admin = path.join(statePaths.pki, `${clientIdentities.admin.file}`);
  const res = await probe(`${apiserverUrl(ports)}/readyz`, {
    ca: path.join(statePaths.pki, 'ca.crt'),
    cert: `${admin}.crt`,
    key: `${admin}.key`,
  });
  return res?.status === 200;
}

export interface ComponentStatus {
  name: ComponentName;
  pid?: number;
  running: boolean;
  log?: string;
}

/** Whether a real node was asked for in this checkout (`up --real-node`, or a test run as root). */
export function realNodeWanted(): boolean {
  return existsSync(statePaths.realNode);
}

export function componentStatuses(): ComponentStatus[] {
  const pids = readPidFile(statePaths.pids);
  const names: ComponentName[] = [...componentNames, ...(realNodeWanted() ? nodeComponentNames : [])];
  return names.map((name) => {
    const proc = pids[name];
    return proc ? { name, pid: proc.pid, running: isAlive(proc), log: proc.log } : { name, running: false };
  });
}

/** True when every control-plane component runs and the API server is ready (the node is separate). */
export async function isUp(): Promise<boolean> {
  const controlPlane: ReadonlySet<string> = new Set(componentNames);
  return (
    componentStatuses()
      .filter((s) => controlPlane.has(s.name))
      .every((s) => s.running) && (await apiserverReady())
  );
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function componentKubeconfig(pki: Pki, ports: ClusterPorts, identity: keyof typeof clientIdentities): string {
  const id = clientIdentities[identity];
  const { cert, key } = pki.client(id);
  const file =
    identity === 'admin'
      ? statePaths.kubeconfig
      : path.join(statePaths.componentKubeconfigs, `${id.file}.yaml`);
  return writeKubeconfigFile(file, {
    server: apiserverUrl(ports),
    caFile: pki.caCert,
    certFile: cert,
    keyFile: key,
    user: id.commonName,
  });
}

interface Launch {
  name: ComponentName;
  command: string;
  args: string[];
  match?: string;
  health?: { url: string; insecure?: boolean; timeoutMs: number };
}

function launches(pki: Pki, ports: ClusterPorts): Launch[] {
  const kc = {
    admin: componentKubeconfig(pki, ports, 'admin'),
    controllerManager: componentKubeconfig(pki, ports, 'controllerManager'),
    scheduler: componentKubeconfig(pki, ports, 'scheduler'),
    kwok: componentKubeconfig(pki, ports, 'kwok'),
  };
  const etcdPeer = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcdClient = `http://127.0.0.1:${ports.etcdClient}`;
  const stages = path.join(clusterSourceDir, 'kwok', 'stages');
  return [
    {
      name: 'etcd',
      command: binaryPath('etcd'),
      args: [
        '--name=tispace-test',
        `--data-dir=${statePaths.etcdData}`,
        `--listen-client-urls=${etcdClient}`,
        `--advertise-client-urls=${etcdClient}`,
        `--listen-peer-urls=${etcdPeer}`,
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=tispace-test=${etcdPeer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      health: { url: `${etcdClient}/health`, timeoutMs: 30_000 },
    },
    {
      name: 'kube-apiserver',
      command: binaryPath('kube-apiserver'),
      args: [
        `--etcd-servers=${etcdClient}`,
        '--bind-address=127.0.0.1',
        // A loopback advertise address is refused by the endpoint reconciler; nothing needs the endpoints.
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        `--secure-port=${ports.apiserver}`,
        `--cert-dir=${path.join(stateDir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-cluster-ip-range=${serviceClusterIpRange}`,
        `--service-account-issuer=${serviceAccountIssuer}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        '--enable-admission-plugins=NodeRestriction',
        // logs/exec/port-forward on the real node: the kubelet trusts the local CA's admin certificate.
        `--kubelet-client-certificate=${pki.client(clientIdentities.admin).cert}`,
        `--kubelet-client-key=${pki.client(clientIdentities.admin).key}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--profiling=false',
        '--v=1',
      ],
      health: { url: `${apiserverUrl(ports)}/readyz`, timeoutMs: 120_000 },
    },
    {
      name: 'kube-controller-manager',
      command: binaryPath('kube-controller-manager'),
      args: [
        `--kubeconfig=${kc.controllerManager}`,
        `--authentication-kubeconfig=${kc.controllerManager}`,
        `--authorization-kubeconfig=${kc.controllerManager}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.controllerManager}`,
        '--use-service-account-credentials=true',
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--service-cluster-ip-range=${serviceClusterIpRange}`,
        '--controllers=*',
        '--leader-elect=false',
        '--concurrent-gc-syncs=5',
        // The namespace deleter issues a list + deletecollection per resource type (~100 with the CRDs);
        // at the default 20 QPS that alone takes 10 s per namespace.
        '--kube-api-qps=500',
        '--kube-api-burst=1000',
        '--v=1',
      ],
      health: {
        url: `https://127.0.0.1:${ports.controllerManager}/healthz`,
        insecure: true,
        timeoutMs: 60_000,
      },
    },
    {
      name: 'kube-scheduler',
      command: binaryPath('kube-scheduler'),
      args: [
        `--kubeconfig=${kc.scheduler}`,
        `--authentication-kubeconfig=${kc.scheduler}`,
        `--authorization-kubeconfig=${kc.scheduler}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.scheduler}`,
        '--leader-elect=false',
        '--v=1',
      ],
      health: { url: `https://127.0.0.1:${ports.scheduler}/healthz`, insecure: true, timeoutMs: 60_000 },
    },
    {
      name: 'kwok',
      command: binaryPath('kwok'),
      args: [
        `--kubeconfig=${kc.kwok}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${kwokNodeAnnotation.key}=${kwokNodeAnnotation.value}`,
        `--cidr=${podCidr}`,
        '--node-ip=127.0.0.1',
        '--node-lease-duration-seconds=40',
        ...['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-complete', 'pod-delete'].map(
          (s) => `--config=${path.join(stages, `${s}.yaml`)}`,
        ),
      ],
    },
    {
      name: 'fake-csi',
      command: process.execPath,
      args: ['--import', 'tsx', path.join(clusterSourceDir, 'fake-csi.ts'), kc.admin],
      match: 'fake-csi.ts',
    },
  ];
}

function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(statePaths.kubeconfig);
  return kc;
}

/** Runs `fn` holding the control plane's lock (so concurrent runs in one checkout never race). */
export function withClusterLock<T>(fn: () => Promise<T>, log: Logger = defaultLog): Promise<T> {
  return withLock(statePaths.lock, fn, (holder) =>
    log(`[cluster] waiting for process ${holder} (holds the lock)`),
  );
}

/** Stops the control plane (holding the lock). */
export function down(log: Logger = defaultLog): Promise<void> {
  return withClusterLock(() => stopControlPlane(log), log);
}

/** Brings the control plane up (holding the lock); see startControlPlane. */
export function up(log: Logger = defaultLog, options: StartOptions = {}): Promise<UpResult> {
  return withClusterLock(() => startControlPlane(log, options), log);
}

/** Stops every recorded component (reverse start order) and forgets it. Caller holds the lock. */
export async function stopControlPlane(log: Logger = defaultLog): Promise<void> {
  const pids = readPidFile(statePaths.pids);
  const nodeWasRecorded = nodeComponentNames.some((n) => pids[n]);
  for (const name of [...componentNames, ...nodeComponentNames].reverse()) {
    const proc = pids[name];
    if (!proc) continue;
    const wasAlive = isAlive(proc);
    await stopProcess(proc);
    if (wasAlive) log(`[cluster] stopped ${name} (pid ${proc.pid})`);
    delete pids[name];
    writePidFile(statePaths.pids, pids);
    // Containers outlive crio and the kubelet: remove them (and the node's mounts) once both are gone.
    if (name === 'crio' && nodeWasRecorded) cleanupNode(log);
  }
  removeFile(statePaths.pids);
}

export interface UpResult {
  kubeconfig: string;
  /** False when a running control plane was reused. */
  started: boolean;
}

/**
 * Brings the control plane up (building binaries if missing) and returns the admin kubeconfig path.
 * Reuses a running one; restarts a partial one. On failure, stops what it started and throws.
 * Caller holds the lock.
 */
export interface StartOptions {
  /** Also run the real worker node (kubelet + patched cri-o + kube-proxy + btrfs volumes). */
  realNode?: boolean;
}

export async function startControlPlane(
  log: Logger = defaultLog,
  options: StartOptions = {},
): Promise<UpResult> {
  if (options.realNode) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(statePaths.realNode, `${new Date().toISOString()}\n`);
  }
  const wantNode = realNodeWanted();
  if (await isUp()) {
    if (!wantNode || nodeComponentNames.every((n) => isRecordedAlive(n))) {
      return { kubeconfig: statePaths.kubeconfig, started: false };
    }
    // The control plane runs but the real node does not: start just the node.
    const pids = readPidFile(statePaths.pids);
    const ports = recordedPorts(statePaths.ports);
    if (!ports) throw new Error('control plane runs but ports.json is missing');
    for (const n of nodeComponentNames) {
      const proc = pids[n];
      if (proc) await stopProcess(proc);
      delete pids[n];
    }
    cleanupNode(log);
    try {
      await startNode(ensurePki(statePaths.pki), ports, pids, log);
    } catch (err) {
      log(`[cluster] real node start failed: ${(err as Error).message}; stopping it`);
      await stopNodeOnly(pids, log);
      throw err;
    }
    return { kubeconfig: statePaths.kubeconfig, started: false };
  }
  if (Object.keys(readPidFile(statePaths.pids)).length > 0) {
    log('[cluster] a previous control plane is partly running; stopping it first');
    await stopControlPlane(log);
  }
  const started = Date.now();
  await ensureBinaries(log, { node: wantNode });
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(statePaths.logs, { recursive: true });
  const pki = ensurePki(statePaths.pki);
  const ports = await choosePorts(statePaths.ports);
  log(`[cluster] ports ${JSON.stringify(ports)}`);
  const pids: PidFile = {};
  try {
    for (const launch of launches(pki, ports)) {
      if (launch.name === 'kwok') await releaseNodeLeases(adminKubeConfig());
      const proc: ComponentProcess = startProcess({
        name: launch.name,
        command: launch.command,
        args: launch.args,
        logDir: statePaths.logs,
        cwd: repoRoot,
        ...(launch.match ? { match: launch.match } : {}),
      });
      pids[launch.name] = proc;
      writePidFile(statePaths.pids, pids);
      log(`[cluster] started ${launch.name} (pid ${proc.pid}, log ${path.relative(repoRoot, proc.log)})`);
      if (launch.health) {
        const admin = pki.client(clientIdentities.admin);
        await waitHealthy(
          launch.name,
          launch.health.url,
          launch.health.insecure ? { insecure: true } : { ca: pki.caCert, cert: admin.cert, key: admin.key },
          launch.health.timeoutMs,
          () => isAlive(proc),
        );
      }
      if (launch.name === 'kwok') await seedCluster(adminKubeConfig(), log);
    }
    if (wantNode) await startNode(pki, ports, pids, log);
    await new Promise((r) => setTimeout(r, 500));
    const dead = componentStatuses().filter((s) => !s.running);
    if (dead.length > 0) throw new Error(`exited during start: ${dead.map((d) => d.name).join(', ')}`);
  } catch (err) {
    const failed = Object.values(pids).filter((p) => !isAlive(p));
    for (const p of failed.length > 0 ? failed : Object.values(pids).slice(-1)) {
      log(`[cluster] --- last lines of ${p.log} ---\n${tail(p.log)}`);
    }
    log(`[cluster] start failed: ${(err as Error).message}; stopping what was started`);
    await stopControlPlane(log);
    throw err;
  }
  log(`[cluster] up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { kubeconfig: statePaths.kubeconfig, started: true };
}

function isRecordedAlive(name: ComponentName): boolean {
  const proc = readPidFile(statePaths.pids)[name];
  return !!proc && isAlive(proc);
}

async function stopNodeOnly(pids: PidFile, log: Logger): Promise<void> {
  for (const name of [...nodeComponentNames].reverse()) {
    const proc = pids[name];
    if (!proc) continue;
    await stopProcess(proc);
    delete pids[name];
    writePidFile(statePaths.pids, pids);
    if (name === 'crio') cleanupNode(log);
  }
}

/**
 * Starts the real node: cri-o (built with TiSpace's patch), the kubelet (joined as system:node:<name>),
 * waits for the Node to be Ready, then kube-proxy and the btrfs volume provisioner. Records each process.
 */
async function startNode(pki: Pki, ports: ClusterPorts, pids: PidFile, log: Logger): Promise<void> {
  const started = Date.now();
  await ensureBinaries(log, { node: true });
  const crioBin = await ensureCrio(log);
  const volumes = await ensureVolumePool(log);
  const launchesOfNode = await prepareNode(pki, apiserverUrl(ports), crioBin);
  for (const launch of launchesOfNode) {
    const proc = startProcess({
      name: launch.name,
      command: launch.command,
      args: launch.args,
      logDir: statePaths.logs,
      cwd: repoRoot,
      match: launch.match,
    });
    pids[launch.name] = proc;
    writePidFile(statePaths.pids, pids);
    log(`[cluster] started ${launch.name} (pid ${proc.pid}, log ${path.relative(repoRoot, proc.log)})`);
    if (launch.name === 'crio') {
      await waitCrio(() => isAlive(proc));
      await importBusyboxImage();
    }
    if (launch.health) {
      await waitHealthy(launch.name, launch.health.url, {}, launch.health.timeoutMs, () => isAlive(proc));
    }
    if (launch.name === 'kubelet') {
      await waitNodeReady(adminKubeConfig(), nodeName, 120_000);
      log(`[cluster] node ${nodeName} Ready`);
    }
  }
  const provisioner = startProcess({
    name: 'local-volumes',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      path.join(clusterSourceDir, 'node', 'local-volumes.ts'),
      statePaths.kubeconfig,
      volumes,
    ],
    logDir: statePaths.logs,
    cwd: repoRoot,
    match: 'local-volumes.ts',
  });
  pids['local-volumes'] = provisioner;
  writePidFile(statePaths.pids, pids);
  log(`[cluster] started local-volumes (pid ${provisioner.pid})`);
  await seedRealNode(adminKubeConfig(), log);
  log(`[cluster] real node up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Deletes all state (PKI, etcd data, logs, kubeconfigs, the node's volume pool) after stopping it all. */
export async function reset(log: Logger = defaultLog): Promise<void> {
  await withClusterLock(() => stopControlPlane(log), log);
  if (mountsBelow(stateDir).length > 0) throw new Error(`mounts left below ${stateDir}; not removing it`);
  rmSync(stateDir, { recursive: true, force: true });
  log(`[cluster] removed ${stateDir}`);
  // The real node's volumes belong to the etcd data just removed.
  rmSync(volumePoolFile(), { force: true });
}
