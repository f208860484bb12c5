// The reconciler acts only on caches that have listed: when the API server fails the first list of PVCs
// and Pods (a fault proxy in front of it), an instance being deleted must not be declared deleted while
// its disk exists — that would orphan the disk and forget the snapshot.
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provisioner } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { simulatedNodeHostKeys } from '../support/simulated-host-keys.ts';
import { tempDbPath } from '../support/temp.ts';
import { kubeConfig, useNamespace } from './support/cluster.ts';
import { type FaultProxy, isList, startFaultProxy } from './support/fault-proxy.ts';
import {
  labelledObjects,
  linkUser,
  publishGoldenImage,
  startProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const ns = useNamespace('it-sync');
const config = () => namespaceConfig(ns.name, { admins: ['root@corp.com'] });
let proxy: FaultProxy;

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  proxy = await startFaultProxy(kubeConfig());
});
afterAll(async () => {
  await proxy?.close();
});

describe('caches whose first list failed', () => {
  it('an instance mid-delete never reaches deleted while its PVC exists', async () => {
    const db = tempDbPath();
    const first = await startProvisioner({ config: config(), store: db });
    const u = linkUser(first, 'USYNC');
    const r = await first.api.create(u, { name: 'mid-delete', cpu: 1, memoryGiB: 1 });
    if (!r.ok) throw new Error(r.error.message);
    const id = r.value.id;
    await waitForInstance(first, id, (i) => i.phase === 'running', 'running');
    await first.stop();
    first.store.close();

    // Deleting: the Pod, Service and Secret go, then the process stops before the disk's snapshot.
    let stopped!: () => void;
    const atSnapshot = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const second = await startProvisioner({
      config: config(),
      store: db,
      workers: 1,
      beforeStep: (step) => {
        if (step === 'create-snapshot') {
          stopped();
          throw new Error('simulated crash before create-snapshot');
        }
      },
    });
    expect(second.api.delete(u, 'mid-delete').ok).toBe(true);
    await atSnapshot;
    await second.stop();
    second.store.close();
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const pvcExists = async () =>
      (
        await core.listNamespacedPersistentVolumeClaim({
          namespace: ns.name,
          labelSelector: `tispace.io/instance=${id}`,
        })
      ).items.length > 0;
    expect(await pvcExists()).toBe(true);

    // Restart behind a proxy that fails every list of PVCs and Pods for the first 4 s.
    const until = Date.now() + 4_000;
    proxy.setRules([
      {
        matches: (m, url) =>
          Date.now() < until && (isList('persistentvolumeclaims')(m, url) || isList('pods')(m, url)),
      },
    ]);
    const p = new Provisioner({
      config: config(),
      kubeConfig: proxy.kubeConfig,
      store: db,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      hostKeys: simulatedNodeHostKeys,
    });
    try {
      await p.start();
      const seen = new Set<string>();
      while (Date.now() < until + 500) {
        const phase = p.store.instances.get(id)?.phase ?? 'gone';
        seen.add(phase);
        if (phase === 'deleted') expect(await pvcExists(), 'marked deleted while its PVC exists').toBe(false);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(proxy.failed.length).toBeGreaterThan(0);
      expect(seen.has('deleted')).toBe(false);

      // Once the lists succeed it finishes properly: snapshot, then the disk, then deleted.
      const done = await waitForInstance(
        p,
        id,
        (i) => i.phase === 'deleted',
        'deleted after the lists recover',
      );
      expect(done.snapshotName).toBe(`${id}-final`);
      const left = await labelledObjects(ns.name, id);
      expect([left.pods.length, left.pvcs.length]).toEqual([0, 0]);
      expect(left.snapshots.map((s) => s.metadata.name)).toEqual([`${id}-final`]);
    } finally {
      proxy.setRules([]);
      await p.stop();
    }
  });
});
