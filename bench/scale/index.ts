// Section 3: scale. 10,000 instances at steady state — store rows plus the objects the reconciler would
// have created (from its own builders), made directly by the benchmark with bounded parallelism — then a
// separate worker process runs the Provisioner over them (bench/scale/worker.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import type { StoredInstance } from '../../provisioner/api.ts';
import { jumpSpec, machineHostName } from '../../provisioner/domain/ssh-access.ts';
import { buildPod, buildPvc, buildSecret, buildService } from '../../provisioner/kube/builders.ts';
import { newInstanceRow } from '../../provisioner/store/instances-repo.ts';
import { Store } from '../../provisioner/store/store.ts';
import { repoRoot } from '../../test/cluster/paths.ts';
import { D, H } from '../../test/support/durations.ts';
import { simulatedHostKey } from '../../test/support/simulated-host-keys.ts';
import { type Message, startChild } from '../lib/child.ts';
import {
  BENCH_STORAGE_CLASS,
  benchNodeName,
  componentCpuSeconds,
  cpuDelta,
  createNamespace,
  deleteBenchStorageClass,
  deleteNamespace,
  ensureBenchStorageClass,
  GOLDEN_SNAPSHOT,
  log,
  publishGoldenImage,
} from '../lib/cluster.ts';
import { benchConfig, benchEmail, benchUser, IMAGE, TEAM } from '../lib/config.ts';
import { rawKube } from '../lib/raw-kube.ts';
import { mapLimit, until } from '../lib/stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ScaleOptions {
  kc: KubeConfig;
  kubeconfig: string;
  quick: boolean;
  instances: number;
  nodes: number;
}

/** Instances of the user whose App Home is measured. */
export const HOME_USER_INSTANCES = 60;
const PER_USER = 20;

export const scaleConfig = (namespace: string) =>
  // No quiet hours, so the reminder and idle jobs have the same work at any time of day.
  benchConfig(namespace, { policy: { quietHours: { start: 0, end: 0 } } });

/**
 * Store rows of `n` running instances: user 0 owns 60, the others 20 each. Deterministic ids. Each is as
 * the reconciler leaves a running machine: its stable SSH name, the jump host and host keys already read
 * (simulated nodes have no sshd; the key is derived from the id), so steady state writes nothing.
 */
export function scaleRows(
  n: number,
  nodes: number,
  now: Date,
  namespace: string,
): { rows: StoredInstance[]; users: number } {
  const config = scaleConfig(namespace);
  const rows: StoredInstance[] = [];
  let user = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const quota = user === 0 ? HOME_USER_INSTANCES : PER_USER;
    if (k >= quota) {
      user++;
      k = 0;
    }
    const name = `m${k++}`;
    const id = `${name}-s${i.toString(36).padStart(5, '0')}`;
    // Leases spread over the 30-day maximum (some end within a day: the reminder job has work).
    const lease = 2 * H + (((i * 7919) % 1000) / 1000) * 28 * D;
    const created = new Date(now.getTime() - 2 * D).toISOString();
    rows.push(
      newInstanceRow({
        id,
        name,
        ownerId: benchUser(user),
        ownerEmail: benchEmail(user),
        image: IMAGE,
        cpu: 1,
        memoryGiB: 2,
        diskGiB: 20,
        loginUser: 'ubuntu',
        phase: 'running',
        node: benchNodeName(i % nodes),
        sshHost: machineHostName(id, namespace),
        sshPort: 22,
        sshJump: jumpSpec(config.gateway),
        hostKeys: [simulatedHostKey(id)],
        createdAt: created,
        readyAt: created,
        leaseEndsAt: new Date(now.getTime() + lease).toISOString(),
        lastActiveAt: new Date(now.getTime() - (((i * 104729) % 1000) / 1000) * 12 * H).toISOString(),
      }),
    );
  }
  return { rows, users: user + 1 };
}

/**
 * Compiles the worker and what it imports (the provisioner among them) with the production build settings,
 * so the memory and CPU measured are those of compiled JavaScript on plain node, as the image runs it.
 */
export function compileWorker(): string {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(here, '..', 'tsconfig.worker.json')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  return path.join(repoRoot, '.cache', 'bench', 'dist', 'bench', 'scale', 'worker.js');
}

export async function scaleBench(o: ScaleOptions) {
  const ns = `bench-scale-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-bench-scale-'));
  const db = path.join(dir, 'tispace.db');
  const config = scaleConfig(ns);
  const image = config.images[0]!;
  const now = new Date();
  const { rows, users } = scaleRows(o.instances, o.nodes, now, ns);
  const raw = await rawKube(o.kc, 32);
  const setup: Record<string, number> = {};
  const cpu0 = componentCpuSeconds();
  try {
    await createNamespace(o.kc, ns);
    await publishGoldenImage(o.kc, ns);
    await ensureBenchStorageClass(o.kc);

    let t = Date.now();
    const store = Store.open(db);
    store.transaction(() => {
      for (let u = 0; u < users; u++)
        store.users.link(benchUser(u), {
          teamId: TEAM,
          googleSub: `sub-${u}`,
          email: benchEmail(u),
          linkedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 30 * D).toISOString(),
        });
      for (const row of rows) store.instances.insert(row, now.toISOString());
    });
    store.close();
    setup.storeRowsSeconds = (Date.now() - t) / 1000;

    // The objects, as the reconciler builds them. Pods carry spec.nodeName (no scheduler: a benchmark
    // shortcut); Services are ClusterIP ones (the SSH gateway reaches them by name).
    t = Date.now();
    let done = 0;
    const base = `/api/v1/namespaces/${ns}`;
    await mapLimit(rows, 32, async (row) => {
      await raw.request('POST', `${base}/secrets?fieldManager=tispace`, buildSecret(config, row, []));
      const pvc: V1PersistentVolumeClaim = buildPvc(config, row, image, GOLDEN_SNAPSHOT);
      pvc.spec = { ...pvc.spec, storageClassName: BENCH_STORAGE_CLASS };
      await raw.request('POST', `${base}/persistentvolumeclaims?fieldManager=tispace`, pvc);
      const service: V1Service = buildService(config, row);
      await raw.request<V1Service>('POST', `${base}/services?fieldManager=tispace`, service);
      const pod: V1Pod = buildPod(config, row, image);
      pod.spec = { ...pod.spec!, nodeName: row.node ?? undefined };
      await raw.request('POST', `${base}/pods?fieldManager=tispace`, pod);
      if (++done % 1000 === 0) log(`[bench] scale: ${done}/${rows.length} instances' objects created`);
    });
    setup.createObjectsSeconds = (Date.now() - t) / 1000;
    setup.objectRequests = rows.length * 5;

    // Steady state: every Pod Ready (KWOK). The PVCs stay Pending (their class has no provisioner).
    t = Date.now();
    const counts = async () => {
      const pods = await raw.request<{ items: V1Pod[] }>('GET', `${base}/pods`);
      const pvcs = await raw.request<{ items: V1PersistentVolumeClaim[] }>(
        'GET',
        `${base}/persistentvolumeclaims`,
      );
      return {
        ready: pods.items.filter((p) =>
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ).length,
        pending: pvcs.items.filter((p) => p.status?.phase === 'Pending').length,
      };
    };
    let last = { ready: 0, pending: 0 };
    await until(
      async () => {
        last = await counts();
        log(`[bench] scale: ${last.ready} Pods Ready of ${rows.length}`);
        return last.ready >= rows.length ? true : undefined;
      },
      'all Pods Ready',
      o.quick ? 300_000 : 900_000,
      5000,
    ).catch((e: unknown) => log(`[bench] scale: continuing without full steady state: ${String(e)}`));
    setup.steadyStateSeconds = (Date.now() - t) / 1000;
    setup.podsReady = last.ready;
    setup.pvcsPending = last.pending;
    const setupCpu = cpuDelta(cpu0, componentCpuSeconds());

    const worker = startChild(compileWorker(), [], {}, { compiled: true });
    try {
      const result = await worker.request<Message>(
        {
          type: 'run',
          kubeconfig: o.kubeconfig,
          namespace: ns,
          db,
          resyncs: o.quick ? 3 : 5,
          homeUser: benchUser(0),
          instances: rows.length,
        },
        'result',
        1_800_000,
      );
      const { type: _t, ...figures } = result;
      return {
        method: {
          instances: rows.length,
          users,
          nodes: o.nodes,
          objectsPerInstance:
            'Secret; PVC (dataSource the golden snapshot, but a StorageClass with no provisioner: stays Pending); Service (ClusterIP); Pod (spec.nodeName set: scheduler skipped)',
        },
        setup: { ...setup, controlPlaneCpuSeconds: setupCpu },
        ...figures,
      };
    } finally {
      await worker.stop();
    }
  } finally {
    raw.close();
    const t = Date.now();
    await deleteNamespace(o.kc, ns, 900_000).catch((e: unknown) =>
      log(`[bench] could not delete ${ns}: ${String(e)}`),
    );
    log(`[bench] scale: namespace ${ns} deleted in ${Math.round((Date.now() - t) / 1000)} s`);
    await deleteBenchStorageClass(o.kc).catch((e: unknown) =>
      log(`[bench] could not delete the StorageClass: ${String(e)}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}
