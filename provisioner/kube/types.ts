import type { KubernetesObject } from '@kubernetes/client-node';

// Kubernetes object types client-node does not ship (CRDs), shared by the caches and the strippers.

/** snapshot.storage.k8s.io/v1 VolumeSnapshot: the fields TiSpace reads. */
export interface VolumeSnapshot extends KubernetesObject {
  spec?: {
    source?: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    readyToUse?: boolean;
    error?: { message?: string };
    restoreSize?: string;
    creationTime?: string;
  };
}
