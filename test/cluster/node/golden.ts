// Publishes a machine tree as a golden VolumeSnapshot of the real node's storage class: a source PVC, the
// tree copied straight into its btrfs subvolume (this host is the node, so no Job image is needed), then a
// read-only snapshot. Used by the tests and by `npm run dev`. Idempotent: a ready snapshot is kept.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { localSnapshotClass, localStorageClass } from './local-volumes.ts';

const snapshots = { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' } as const;

const ignoreConflict = (err: unknown) => {
  if ((err as { code?: number }).code !== 409) throw err;
};

async function poll<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function publishTreeAsGolden(
  kc: KubeConfig,
  o: { namespace: string; name: string; tree: string },
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { namespace, name } = o;
  const ready = async () => {
    try {
      const s = (await custom.getNamespacedCustomObject({ ...snapshots, namespace, name })) as {
        status?: { readyToUse?: boolean };
      };
      return s.status?.readyToUse === true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  };
  if (await ready()) return;
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreConflict);
  const source = `${name}-src`;
  await core
    .createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: source },
        spec: {
          storageClassName: localStorageClass,
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '10Gi' } },
        },
      },
    })
    .catch(ignoreConflict);
  const pvName = await poll(`golden source PVC ${namespace}/${source} Bound`, 60_000, async () => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: source, namespace });
    return pvc.status?.phase === 'Bound' ? pvc.spec?.volumeName : undefined;
  });
  const pv = await core.readPersistentVolume({ name: pvName });
  const dir = pv.spec?.local?.path;
  if (!dir) throw new Error(`PV ${pvName} has no local path`);
  // A copy cut short is redone whole: the image's marker file is the last thing `cp -a` could miss.
  if (!existsSync(path.join(dir, 'etc', 'tispace-golden')))
    execFileSync('cp', ['-a', `${o.tree}/.`, `${dir}/`]);
  await custom
    .createNamespacedCustomObject({
      ...snapshots,
      namespace,
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name },
        spec: { volumeSnapshotClassName: localSnapshotClass, source: { persistentVolumeClaimName: source } },
      },
    })
    .catch(ignoreConflict);
  await poll(`golden snapshot ${namespace}/${name} ready`, 60_000, async () =>
    (await ready()) ? true : undefined,
  );
}
