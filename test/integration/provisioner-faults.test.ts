// Faults: capacity refusals, crashes between any two steps, an API-server outage, name collisions with
// objects TiSpace did not create, and a lost database rebuilt from the cluster (adopt).
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioner } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { tempDbPath } from '../support/temp.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import {
  labelledObjects,
  linkUser,
  publishGoldenImage,
  startProvisioner,
  waitForInstance,
} from './support/provisioner.ts';
import { restartApiserver } from './support/restart-apiserver.ts';

const ns = useNamespace('it-faults');
const core = () => kubeConfig().makeApiClient(CoreV1Api);
const bigConfig = () =>
  namespaceConfig(ns.name, {
    limits: { maxCpu: 64, maxMemoryGiB: 256, maxDiskGiB: 500 },
    quota: { instances: 50, cpu: 500, memoryGiB: 2000, diskGiB: 5000 },
    admins: ['root@corp.com'],
  });

beforeAll(async () => {
  await publishGoldenImage(ns.name);
});

const filler = (name: string, node: string, cpu: string): V1Pod => ({
  metadata: { name },
  spec: {
    nodeName: node,
    tolerations: [{ operator: 'Exists' }],
    containers: [
      {
        name: 'c',
        image: 'filler',
        resources: { requests: { cpu, memory: '1Gi' }, limits: { cpu, memory: '1Gi' } },
      },
    ],
  },
});

describe('capacity', () => {
  let p: Provisioner;
  beforeAll(async () => {
    p = await startProvisioner({ config: bigConfig() });
  });
  afterAll(async () => {
    await core().deleteCollectionNamespacedPod({
      namespace: ns.name,
      labelSelector: '!tispace.io/instance',
      gracePeriodSeconds: 0,
    });
    await p?.stop();
  });

  it('refuses a request larger than any node, with the numbers', async () => {
    const u = linkUser(p, 'UBIG');
    const r = await p.api.create(u, { name: 'huge', cpu: 40, memoryGiB: 64 });
    expect(!r.ok && r.error).toMatchObject({
      code: 'NoCapacity',
      message:
        '40 CPUs and 64 GiB is larger than any development node (the largest has 31.7 CPUs and 127.6 GiB for an instance)',
    });
    expect(p.store.instances.listByOwner('UBIG')).toHaveLength(0);
  });

  it('refuses a request that fits in sum but on no single node, naming the largest free slot — never left Pending', async () => {
    for (const n of [1, 2, 3])
      await core().createNamespacedPod({ namespace: ns.name, body: filler(`filler-${n}`, `dev-${n}`, '12') });
    await waitFor(
      async () =>
        p.api.capacity(linkUser(p, 'UROOT', 'root@corp.com')).ok &&
        (p.api.capacity({ userId: 'UROOT' }) as { ok: true; value: { cpuMilli: number }[] }).value.every(
          (n) => n.cpuMilli <= 20_000,
        )
          ? true
          : undefined,
      {
        timeoutMs: 30_000,
        what: 'fillers counted by the capacity cache',
      },
    );
    const u = linkUser(p, 'USUM');
    const r = await p.api.create(u, { name: 'wide', cpu: 24, memoryGiB: 16 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('NoCapacity');
    expect(r.error.message).toMatch(
      /^no single node has room for 24 CPUs and 16 GiB right now; the largest free slot is 19\.7 CPUs and \d+(\.\d)? GiB \(on dev-[123]\), 60 CPUs free in total/,
    );
    const limits = await p.api.limits(u);
    expect(limits.ok && limits.value.maxCpu).toBe(19);
    expect((await p.api.create(u, { name: 'fits', cpu: 19, memoryGiB: 16 })).ok).toBe(true);
  });

  it('counts machines accepted but not yet on a node: concurrent creates never promise more than the nodes hold', async () => {
    // After the test above: two nodes with a 19.7-CPU slot, one nearly full (or 'fits' still unplaced).
    // Four 10-CPU machines at once, before any of their Pods exists: room for two.
    const u = linkUser(p, 'URACE');
    const results = await Promise.all(
      ['r1', 'r2', 'r3', 'r4'].map((name) => p.api.create(u, { name, cpu: 10, memoryGiB: 8 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results.filter((x) => !x.ok))
      expect(!r.ok && r.error).toMatchObject({ code: 'NoCapacity' });
  });
});

describe('crash between any two steps', () => {
  const createSteps = ['create-secret', 'create-pvc', 'create-service', 'create-pod'];
  const deleteSteps = ['delete-pod', 'delete-service', 'delete-secret', 'create-snapshot', 'delete-pvc'];

  /** A provisioner that "crashes" at `step`: from then on every write fails, as if the process were gone. */
  async function crashingAt(db: string, step: string) {
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    let dead = false;
    const p = await startProvisioner({
      config: bigConfig(),
      store: db,
      workers: 1,
      beforeStep: (s) => {
        if (s === step) dead = true;
        if (dead) {
          crashed();
          throw new Error(`simulated crash before ${s}`);
        }
      },
    });
    return { p, crash };
  }

  const expectExactlyOne = async (id: string) => {
    const objects = await labelledObjects(ns.name, id);
    expect([objects.pods, objects.pvcs, objects.services, objects.secrets].map((l) => l.length)).toEqual([
      1, 1, 1, 1,
    ]);
  };

  it.each(createSteps)('create: crash before %s, restart converges with no duplicate', async (step) => {
    const db = tempDbPath();
    const { p, crash } = await crashingAt(db, step);
    const u = linkUser(p, 'UCRASH');
    const r = await p.api.create(u, { name: `c-${step}`, cpu: 1, memoryGiB: 1 });
    if (!r.ok) throw new Error(r.error.message);
    await crash;
    await p.stop();
    p.store.close();
    const restarted = await startProvisioner({ config: bigConfig(), store: db });
    try {
      await waitForInstance(restarted, r.value.id, (i) => i.phase === 'running', 'running after restart');
      await expectExactlyOne(r.value.id);
    } finally {
      await restarted.stop();
    }
  });

  it.each(deleteSteps)(
    'delete: crash before %s, restart finishes the deletion and keeps one snapshot',
    async (step) => {
      const db = tempDbPath();
      const first = await startProvisioner({ config: bigConfig(), store: db });
      const u = linkUser(first, 'UCRASHD');
      const r = await first.api.create(u, { name: `d-${step}`, cpu: 1, memoryGiB: 1 });
      if (!r.ok) throw new Error(r.error.message);
      await waitForInstance(first, r.value.id, (i) => i.phase === 'running', 'running');
      await first.stop();
      first.store.close();

      const { p, crash } = await crashingAt(db, step);
      expect(p.api.delete(u, `d-${step}`).ok).toBe(true);
      await crash;
      await p.stop();
      p.store.close();

      const restarted = await startProvisioner({ config: bigConfig(), store: db });
      try {
        await waitForInstance(restarted, r.value.id, (i) => i.phase === 'deleted', 'deleted after restart');
        const left = await labelledObjects(ns.name, r.value.id);
        expect([left.pods, left.pvcs, left.services, left.secrets].map((l) => l.length)).toEqual([
          0, 0, 0, 0,
        ]);
        expect(left.snapshots.map((s) => s.metadata.name)).toEqual([`${r.value.id}-final`]);
      } finally {
        await restarted.stop();
      }
    },
  );

  it('stop: crash before delete-pod, restart stops it and keeps the disk', async () => {
    const db = tempDbPath();
    const first = await startProvisioner({ config: bigConfig(), store: db });
    const u = linkUser(first, 'UCRASHS');
    const r = await first.api.create(u, { name: 's1', cpu: 1, memoryGiB: 1 });
    if (!r.ok) throw new Error(r.error.message);
    await waitForInstance(first, r.value.id, (i) => i.phase === 'running', 'running');
    const pvcUid = (await labelledObjects(ns.name, r.value.id)).pvcs[0]?.metadata?.uid;
    await first.stop();
    first.store.close();
    const { p, crash } = await crashingAt(db, 'delete-pod');
    expect(p.api.stop(u, 's1').ok).toBe(true);
    await crash;
    await p.stop();
    p.store.close();
    const restarted = await startProvisioner({ config: bigConfig(), store: db });
    try {
      await waitForInstance(restarted, r.value.id, (i) => i.phase === 'stopped', 'stopped after restart');
      const left = await labelledObjects(ns.name, r.value.id);
      expect(left.pods).toHaveLength(0);
      expect(left.pvcs.map((x) => x.metadata?.uid)).toEqual([pvcUid]);
    } finally {
      await restarted.stop();
    }
  });
});

describe('API server outage', () => {
  it('watches recover after kube-apiserver is stopped and restarted, and the reconciler converges', async () => {
    const p = await startProvisioner({ config: bigConfig() });
    try {
      const u = linkUser(p, 'UOUT');
      const before = await p.api.create(u, { name: 'before', cpu: 1, memoryGiB: 1 });
      if (!before.ok) throw new Error(before.error.message);
      await waitForInstance(p, before.value.id, (i) => i.phase === 'running', 'running before the outage');
      let during: Awaited<ReturnType<typeof p.api.create>> | undefined;
      await restartApiserver({
        downForMs: 3000,
        whileDown: async () => {
          // Accepted while Kubernetes is down: the intent is durable, the objects come when it is back.
          during = await p.api.create(u, { name: 'during', cpu: 1, memoryGiB: 1 });
          expect(p.api.stop(u, 'before').ok).toBe(true);
        },
      });
      if (!during?.ok) throw new Error('create during the outage was refused');
      await waitForInstance(
        p,
        during.value.id,
        (i) => i.phase === 'running',
        'created during the outage, running after it',
        120_000,
      );
      await waitForInstance(
        p,
        before.value.id,
        (i) => i.phase === 'stopped',
        'stopped during the outage',
        120_000,
      );
      // The watches are live again: a change made now is seen without a resync.
      expect(p.api.stop(u, 'during').ok).toBe(true);
      await waitForInstance(
        p,
        during.value.id,
        (i) => i.phase === 'stopped',
        'stopped via live watches',
        30_000,
      );
    } finally {
      await p.stop();
    }
  });
});

describe('objects TiSpace did not create', () => {
  it('never touches an unlabelled Pod whose name collides, and reports it', async () => {
    let blocked = true;
    const p = await startProvisioner({
      config: bigConfig(),
      beforeStep: () => {
        if (blocked) throw new Error('held until the foreign Pod exists');
      },
    });
    try {
      const u = linkUser(p, 'UCOL');
      const r = await p.api.create(u, { name: 'clash', cpu: 1, memoryGiB: 1 });
      if (!r.ok) throw new Error(r.error.message);
      const id = r.value.id;
      const foreign = await core().createNamespacedPod({
        namespace: ns.name,
        body: {
          metadata: { name: id, labels: { team: 'someone-else' } },
          spec: { containers: [{ name: 'c', image: 'theirs' }] },
        },
      });
      blocked = false;
      p.reconciler.queue.add(id);
      const failed = await waitForInstance(p, id, (i) => i.phase === 'failed', 'failed with a collision');
      expect(failed.conditions.find((c) => c.reason === 'NameCollision')?.message).toMatch(
        /a Pod named .* exists that TiSpace did not create; it was left untouched/,
      );
      expect(p.api.delete(u, 'clash').ok).toBe(true);
      await waitForInstance(p, id, (i) => i.phase === 'deleted', 'deleted');
      const still = await core().readNamespacedPod({ name: id, namespace: ns.name });
      expect(still.metadata?.uid).toBe(foreign.metadata?.uid);
      expect(still.metadata?.labels).toEqual({ team: 'someone-else' });
      expect(still.metadata?.deletionTimestamp).toBeUndefined();
    } finally {
      await p.stop();
    }
  });
});

describe('adopt', () => {
  it('rebuilds a deleted database from the cluster and reports what it cannot attribute', async () => {
    const first = await startProvisioner({ config: bigConfig() });
    const u = linkUser(first, 'UADOPT', 'adopt@corp.com');
    const r = await first.api.create(u, { name: 'keepme', cpu: 2, memoryGiB: 3, diskGiB: 40 });
    if (!r.ok) throw new Error(r.error.message);
    await waitForInstance(first, r.value.id, (i) => i.phase === 'running', 'running');
    const pvcUid = (await labelledObjects(ns.name, r.value.id)).pvcs[0]?.metadata?.uid;
    await first.stop();
    first.store.close();
    await core().createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'stray-root',
          labels: {
            'app.kubernetes.io/managed-by': 'tispace',
            'tispace.io/instance': 'stray',
            'tispace.io/owner': 'UX',
          },
        },
        spec: {
          storageClassName: 'rook-ceph-block',
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    });

    const fresh = await startProvisioner({ config: bigConfig() }); // a new, empty database
    try {
      const report = await fresh.adopt();
      expect(report.adopted).toContain(r.value.id);
      expect(report.unattributed).toContainEqual({
        object: 'PersistentVolumeClaim/stray-root',
        problem: expect.stringMatching(/missing annotations/),
      });
      const row = fresh.store.instances.get(r.value.id);
      expect(row).toMatchObject({
        name: 'keepme',
        ownerId: 'UADOPT',
        ownerEmail: 'adopt@corp.com',
        cpu: 2,
        memoryGiB: 3,
        diskGiB: 40,
        desired: 'running',
        leaseEndsAt: r.value.leaseEndsAt,
      });
      await waitForInstance(fresh, r.value.id, (i) => i.phase === 'running', 'running after adopt');
      const objects = await labelledObjects(ns.name, r.value.id);
      expect(objects.pvcs.map((x) => x.metadata?.uid)).toEqual([pvcUid]);
      expect(objects.pods).toHaveLength(1);
      // Adopting twice changes nothing.
      expect((await fresh.adopt()).adopted).toEqual([]);
    } finally {
      await fresh.stop();
    }
  });
});
