// The final snapshot is trusted only if it is TiSpace's, of this disk: a foreign, ready VolumeSnapshot
// that happens to carry the expected name must not let the disk be deleted.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioner } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import {
  GOLDEN,
  linkUser,
  publishGoldenImage,
  startProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const ns = useNamespace('it-snaptrust');
let p: Provisioner;

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  p = await startProvisioner({ config: namespaceConfig(ns.name) });
});
afterAll(async () => {
  await p?.stop();
});

describe('final snapshot', () => {
  it('a foreign ready snapshot with the expected name is a NameCollision, and the disk is kept', async () => {
    const ivy = linkUser(p, 'UIVY');
    const created = await p.api.create(ivy, { name: 'precious', cpu: 1, memoryGiB: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await waitForInstance(p, id, (i) => i.phase === 'running', 'running');
    // Someone else's snapshot (of another disk, no TiSpace labels) under the name TiSpace will use.
    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'snapshot.storage.k8s.io',
      version: 'v1',
      namespace: ns.name,
      plural: 'volumesnapshots',
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: `${id}-final` },
        spec: {
          volumeSnapshotClassName: 'csi-rbdplugin-snapclass',
          source: { persistentVolumeClaimName: `${GOLDEN}-src` },
        },
      },
    });
    await waitFor(
      async () => {
        const s = (await custom.getNamespacedCustomObject({
          group: 'snapshot.storage.k8s.io',
          version: 'v1',
          namespace: ns.name,
          plural: 'volumesnapshots',
          name: `${id}-final`,
        })) as { status?: { readyToUse?: boolean } };
        return s.status?.readyToUse ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the foreign snapshot ready' },
    );

    expect(p.api.delete(ivy, 'precious').ok).toBe(true);
    const failed = await waitForInstance(
      p,
      id,
      (i) => i.conditions.some((c) => c.reason === 'NameCollision') || i.phase === 'deleted',
      'a NameCollision (or, wrongly, deleted)',
      90_000,
    );
    expect(failed.phase).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const pvc = await kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedPersistentVolumeClaim({ name: `${id}-root`, namespace: ns.name });
    expect(pvc.metadata?.deletionTimestamp).toBeUndefined();
    expect(p.store.instances.get(id)?.phase).toBe('failed');
  });
});
