// Seeds a golden image: the namespace, a source PVC of `storageClass`, optionally filled once it is bound
// (the real node copies a machine tree into its volume), then a VolumeSnapshot of `snapshotClass`, waited
// for until ready. Idempotent: a ready snapshot is kept. Used by the integration tests and `npm run dev`.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1PersistentVolume,
} from '@kubernetes/client-node';

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

export interface GoldenOptions {
  namespace: string;
  /** The VolumeSnapshot's name (the catalog's `snapshot`); its source PVC is `<name>-src`. */
  name: string;
  storageClass: string;
  snapshotClass: string;
  /** Writes the image into the source volume once it is bound, before the snapshot is taken. */
  fill?: (volume: V1PersistentVolume) => void | Promise<void>;
}

export async function seedGolden(kc: KubeConfig, o: GoldenOptions): Promise<void> {
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
          storageClassName: o.storageClass,
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '10Gi' } },
        },
      },
    })
    .catch(ignoreConflict);
  if (o.fill) {
    const pvName = await poll(`golden source PVC ${namespace}/${source} Bound`, 60_000, async () => {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ name: source, namespace });
      return pvc.status?.phase === 'Bound' ? pvc.spec?.volumeName : undefined;
    });
    await o.fill(await core.readPersistentVolume({ name: pvName }));
  }
  await custom
    .createNamespacedCustomObject({
      ...snapshots,
      namespace,
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name },
        spec: { volumeSnapshotClassName: o.snapshotClass, source: { persistentVolumeClaimName: source } },
      },
    })
    .catch(ignoreConflict);
  await poll(`golden snapshot ${namespace}/${name} ready`, 60_000, async () =>
    (await ready()) ? true : undefined,
  );
}
