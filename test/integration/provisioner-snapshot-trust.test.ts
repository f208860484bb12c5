// The final snapshot is trusted only if it is TiSpace's, of this disk: a foreign, ready VolumeSnapshot
// that happens to carry the expected name must not let the disk be deleted.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { namespaceConfig } from '../support/config.ts';
import { kubeConfig, waitFor } from './support/cluster.ts';
import {
  createRunning,
  createVolumeSnapshot,
  GOLDEN,
  linkUser,
  useProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const t = useProvisioner('it-snaptrust', (namespace) => ({ config: namespaceConfig(namespace) }));
const ns = t.ns;

describe('final snapshot', () => {
  it('a foreign ready snapshot with the expected name is a NameCollision, and the disk is kept', async () => {
    const ivy = linkUser(t.p, 'UIVY');
    const id = await createRunning(t.p, ivy, { name: 'precious', cpu: 1, memoryGiB: 1 });
    // Someone else's snapshot (of another disk, no TiSpace labels) under the name TiSpace will use.
    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    await createVolumeSnapshot(ns.name, `${id}-final`, `${GOLDEN}-src`);
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

    expect(t.p.api.delete(ivy, 'precious').ok).toBe(true);
    const failed = await waitForInstance(
      t.p,
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
    expect(t.p.store.instances.get(id)?.phase).toBe('failed');
  });
});
