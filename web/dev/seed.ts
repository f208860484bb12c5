// Seeds the local control plane for `npm run dev`: the instances' namespace and the golden image (a source
// PVC and a VolumeSnapshot of it, made ready by the cluster's CSI stand-in). Idempotent.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

const exists = (err: unknown) => (err as { code?: number }).code === 409;

export async function seedGoldenImage(
  kc: KubeConfig,
  o: { namespace: string; snapshot: string; storageClass: string },
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { namespace, snapshot } = o;
  const ignoreExisting = (err: unknown) => {
    if (!exists(err)) throw err;
  };
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExisting);
  await core
    .createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: `${snapshot}-src` },
        spec: {
          storageClassName: o.storageClass,
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '10Gi' } },
        },
      },
    })
    .catch(ignoreExisting);
  const ref = { group: 'snapshot.storage.k8s.io', version: 'v1', namespace, plural: 'volumesnapshots' };
  await custom
    .createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: snapshot },
        spec: {
          volumeSnapshotClassName: 'csi-rbdplugin-snapclass',
          source: { persistentVolumeClaimName: `${snapshot}-src` },
        },
      },
    })
    .catch(ignoreExisting);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = (await custom.getNamespacedCustomObject({ ...ref, name: snapshot })) as {
      status?: { readyToUse?: boolean };
    };
    if (s.status?.readyToUse) return;
    if (Date.now() > deadline)
      throw new Error(`the golden snapshot ${namespace}/${snapshot} did not become ready within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
