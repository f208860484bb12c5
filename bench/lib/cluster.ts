// The local control plane for benchmarks: started if it is not up and left as it was found (the same
// bookkeeping as the integration tests' global setup), plus namespaces, the golden image and extra KWOK
// nodes that are always removed afterwards.
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  KubeConfig,
  StorageV1Api,
  type V1Node,
  type V1Taint,
  type V1Toleration,
} from '@kubernetes/client-node';
import { seedGolden } from '../../test/cluster/golden.ts';
import {
  acquireControlPlane as acquireControlPlaneFor,
  type ControlPlaneLease,
} from '../../test/cluster/lease.ts';
import { statePaths } from '../../test/cluster/paths.ts';
import { groupMembers } from '../../test/cluster/processes.ts';
import { kwokNode } from '../../test/cluster/seed.ts';
import { mapLimit, retrying, until } from './stats.ts';

export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Brings the control plane up (reusing a running one) and registers this process as a user of it, with the
 * integration tests' bookkeeping (test/cluster/lease.ts): release() stops it only if nobody else uses it
 * and a run started it — never one started with `npm run cluster -- up`.
 */
export async function acquireControlPlane(o: { realNode?: boolean } = {}): Promise<ControlPlaneLease> {
  const lease = await acquireControlPlaneFor(log, { realNode: o.realNode ?? false });
  log(`[bench] ${lease.started ? 'started' : 'reusing'} the local control plane (${lease.kubeconfig})`);
  return lease;
}

export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const isNotFound = (err: unknown): boolean => (err as { code?: number }).code === 404;

/** A namespace with Pod Security `privileged` (as TiSpace's own), ready for Pods. */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: { 'pod-security.kubernetes.io/enforce': 'privileged', 'tispace.bench/namespace': 'true' },
      },
    },
  });
  await until(
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    },
    `ServiceAccount default in ${name}`,
    30_000,
    200,
  );
}

/** Deletes a namespace (Pods first, without grace) and waits until it is gone. */
export async function deleteNamespace(kc: KubeConfig, name: string, timeoutMs = 300_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await retrying(() => core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 }));
    await retrying(() => core.deleteNamespace({ name }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  await until(
    async () => {
      try {
        await core.readNamespace({ name });
        return undefined;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
    `namespace ${name} gone`,
    timeoutMs,
    500,
  );
}

export const GOLDEN_SNAPSHOT = 'golden-ubuntu-22-04';

/** The golden image: a source PVC and a ready VolumeSnapshot of it (what the image pipeline publishes). */
export const publishGoldenImage = (kc: KubeConfig, namespace: string): Promise<void> =>
  seedGolden(kc, {
    namespace,
    name: GOLDEN_SNAPSHOT,
    storageClass: 'rook-ceph-block',
    snapshotClass: 'csi-rbdplugin-snapclass',
  });

// ---- bench nodes ----------------------------------------------------------------------------------

/**
 * Bench nodes form their own pool (label tispace.io/pool=bench, tainted), so they never change what the
 * integration tests of other engineers running on the same control plane see in the `dev` pool.
 */
export const BENCH_POOL = { 'tispace.io/pool': 'bench' };
export const BENCH_NODE_LABEL = 'tispace.bench/node';
export const BENCH_TAINT: V1Taint = { key: 'tispace.bench/pool', value: 'true', effect: 'NoSchedule' };
export const BENCH_TOLERATION: V1Toleration = {
  key: BENCH_TAINT.key,
  operator: 'Equal',
  value: 'true',
  effect: 'NoSchedule',
};

export const benchNodeName = (i: number): string => `bench-${String(i).padStart(3, '0')}`;

/** A KWOK node of the bench pool: bigger than a dev node, labelled and tainted as the bench's own. */
export const benchNode = (name: string): V1Node =>
  kwokNode(name, {
    labels: { ...BENCH_POOL, [BENCH_NODE_LABEL]: 'true' },
    resources: { cpu: '128', memory: '512Gi', pods: '250', 'ephemeral-storage': '4Ti' },
    taints: [BENCH_TAINT],
  });

/** Creates bench nodes 0..count-1 (missing ones only) and waits until KWOK made them Ready. */
export async function ensureBenchNodes(kc: KubeConfig, count: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const existing = new Set(
    (await core.listNode({ labelSelector: BENCH_NODE_LABEL })).items.map((n) => n.metadata?.name),
  );
  const names = Array.from({ length: count }, (_, i) => benchNodeName(i));
  await mapLimit(
    names.filter((n) => !existing.has(n)),
    16,
    async (name) => {
      await core.createNode({ body: benchNode(name) });
    },
  );
  await until(
    async () => {
      const nodes = (await core.listNode({ labelSelector: BENCH_NODE_LABEL })).items;
      const ready = nodes.filter(
        (n) =>
          names.includes(n.metadata?.name ?? '') &&
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          !n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/')),
      );
      return ready.length >= count ? true : undefined;
    },
    `${count} bench nodes Ready`,
    180_000,
    1000,
  );
}

/** Deletes every bench node (and the Leases KWOK keeps for them). */
export async function deleteBenchNodes(kc: KubeConfig): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = (await retrying(() => core.listNode({ labelSelector: BENCH_NODE_LABEL }))).items;
  await mapLimit(nodes, 16, async (n) => {
    try {
      await retrying(() => core.deleteNode({ name: n.metadata?.name ?? '' }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
  return nodes.length;
}

// ---- control plane CPU (to show how busy the machine was) ------------------------------------------

/** CPU seconds used so far by each control plane component (its whole process group), from /proc. */
export function componentCpuSeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  let pids: Record<string, { pid: number; pgid?: number }> = {};
  try {
    pids = JSON.parse(readFileSync(statePaths.pids, 'utf8')) as typeof pids;
  } catch {
    return out;
  }
  const ticks = 100; // USER_HZ on Linux
  for (const [name, proc] of Object.entries(pids)) {
    let total = 0;
    const members = new Set([proc.pid, ...groupMembers(proc.pgid ?? proc.pid)]);
    for (const pid of members) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        total += (Number(fields[11]) + Number(fields[12])) / ticks;
      } catch {
        // gone
      }
    }
    out[name] = total;
  }
  return out;
}

export function cpuDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(b).map((k) => [k, Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 10) / 10]),
  );
}

// ---- a StorageClass nothing provisions (scale section) ---------------------------------------------

/**
 * For the scale section's 10,000 PVCs: no provisioner and WaitForFirstConsumer, so the claims stay
 * Pending without work for anyone (binding 10,000 claims through the fake CSI and the PV controller takes
 * longer than the whole benchmark may).
 */
export const BENCH_STORAGE_CLASS = 'tispace-bench-unprovisioned';

export async function ensureBenchStorageClass(kc: KubeConfig): Promise<void> {
  const storage = kc.makeApiClient(StorageV1Api);
  try {
    await storage.createStorageClass({
      body: {
        metadata: { name: BENCH_STORAGE_CLASS, labels: { 'tispace.bench/storageclass': 'true' } },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
      },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

export async function deleteBenchStorageClass(kc: KubeConfig): Promise<void> {
  try {
    await retrying(() => kc.makeApiClient(StorageV1Api).deleteStorageClass({ name: BENCH_STORAGE_CLASS }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Deletes whatever an interrupted run left behind: bench namespaces, bench nodes, the StorageClass. */
export async function cleanupLeftovers(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = (
    await retrying(() => core.listNamespace({ labelSelector: 'tispace.bench/namespace=true' }))
  ).items;
  for (const ns of namespaces) {
    const name = ns.metadata?.name ?? '';
    log(`[bench] deleting namespace ${name}`);
    await deleteNamespace(kc, name, 1_800_000);
  }
  log(`[bench] deleted ${await deleteBenchNodes(kc)} bench nodes`);
  await deleteBenchStorageClass(kc);
}
