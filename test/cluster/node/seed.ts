import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { serverSideApply } from '../raw-apply.ts';
import { fieldManager, labelNode } from '../seed.ts';
import { nodeName, realNodeLabels } from './layout.ts';
import { localDriver, localSnapshotClass, localStorageClass } from './local-volumes.ts';

/** The real node's StorageClass and VolumeSnapshotClass (btrfs volumes, see local-volumes.ts). */
export function realNodeStorageObjects(): KubernetesObject[] {
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: localStorageClass },
      provisioner: localDriver,
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
      // Every volume is on the one real node, so binding early is the same as binding late.
      volumeBindingMode: 'Immediate',
    } as KubernetesObject,
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: localSnapshotClass },
      driver: localDriver,
      deletionPolicy: 'Delete',
    } as KubernetesObject,
  ];
}

export async function seedRealNode(kc: KubeConfig, log: (line: string) => void): Promise<void> {
  // The kubelet sets --node-labels only when it registers a new Node: an older Node object gets them here.
  await labelNode(kc, nodeName, realNodeLabels);
  for (const obj of realNodeStorageObjects()) await serverSideApply(kc, obj, fieldManager);
  log(`[cluster] StorageClass ${localStorageClass}, VolumeSnapshotClass ${localSnapshotClass}`);
}

/** Waits until the node reports Ready. */
export async function waitNodeReady(kc: KubeConfig, name: string, timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered';
  while (Date.now() < deadline) {
    try {
      const node = await core.readNode({ name });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') return;
      last = `${ready?.reason ?? 'no Ready condition'}: ${ready?.message ?? ''}`;
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`node ${name} not Ready within ${timeoutMs / 1000} s (${last})`);
}
