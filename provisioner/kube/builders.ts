import type { V1PersistentVolumeClaim, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import type { ImageConfig, TiSpaceConfig } from '../config/schema.ts';
import type { Instance } from '../domain/instance.ts';
import {
  ANNOTATIONS,
  INSTANCE_LABEL,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  OWNER_LABEL,
  ROOT_VOLUME,
  ROOTFS_MARKER_PATH,
} from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';

// Pure builders of the desired objects of one instance (DESIGN.md, "Kubernetes objects of one instance").
// Same input, same output: the reconciler applies them as they are.

export const FIELD_MANAGER = 'tispace';

const instanceLabels = (instance: Pick<Instance, 'id' | 'ownerId'>): Record<string, string> => ({
  [MANAGED_BY]: MANAGED_BY_VALUE,
  [INSTANCE_LABEL]: instance.id,
  [OWNER_LABEL]: instance.ownerId,
});

/** Enough to rebuild the store row from the cluster (adopt). */
const instanceAnnotations = (instance: Instance): Record<string, string> => ({
  [ANNOTATIONS.name]: instance.name,
  [ANNOTATIONS.ownerEmail]: instance.ownerEmail,
  [ANNOTATIONS.image]: instance.image,
  [ANNOTATIONS.spec]: JSON.stringify({
    cpu: instance.cpu,
    memoryGiB: instance.memoryGiB,
    diskGiB: instance.diskGiB,
    loginUser: instance.loginUser,
  }),
  [ANNOTATIONS.createdAt]: instance.createdAt,
  [ANNOTATIONS.leaseEndsAt]: instance.leaseEndsAt,
});

const meta = (config: TiSpaceConfig, instance: Instance, name: string) => ({
  name,
  namespace: config.namespace,
  labels: instanceLabels(instance),
  annotations: instanceAnnotations(instance),
});

export function buildPvc(
  config: TiSpaceConfig,
  instance: Instance,
  image: ImageConfig,
  /** The VolumeSnapshot to clone: the image's golden snapshot, or the instance's own when restoring. */
  sourceSnapshot: string,
): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(config, instance, objectNames(instance.id).pvc),
    spec: {
      storageClassName: image.storageClass,
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: `${instance.diskGiB}Gi` } },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: sourceSnapshot },
    },
  };
}

export function buildSecret(
  config: TiSpaceConfig,
  instance: Instance,
  publicKeys: readonly string[],
): V1Secret {
  const authorizedKeys = publicKeys.length ? `${publicKeys.join('\n')}\n` : '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(config, instance, objectNames(instance.id).secret),
    type: 'Opaque',
    data: { authorized_keys: Buffer.from(authorizedKeys).toString('base64') },
  };
}

/**
 * The machine's stable address: a ClusterIP Service reached only from inside the cluster (the SSH gateway
 * jumps to it by name); nothing is exposed on the nodes.
 */
export function buildService(config: TiSpaceConfig, instance: Instance): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(config, instance, objectNames(instance.id).service),
    spec: {
      type: 'ClusterIP',
      selector: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTANCE_LABEL]: instance.id },
      ports: [{ name: 'ssh', port: 22, targetPort: 22, protocol: 'TCP' }],
    },
  };
}

export function buildPod(config: TiSpaceConfig, instance: Instance, image: ImageConfig): V1Pod {
  const names = objectNames(instance.id);
  // Guaranteed QoS: requests == limits, whole CPUs and GiB.
  const resources = { cpu: `${instance.cpu}`, memory: `${instance.memoryGiB}Gi` };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta(config, instance, names.pod),
      annotations: { ...instanceAnnotations(instance), [ANNOTATIONS.rootfsVolume]: ROOT_VOLUME },
    },
    spec: {
      runtimeClassName: config.runtimeClassName,
      hostname: instance.id,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 60,
      nodeSelector: config.devPool.nodeSelector,
      tolerations: config.devPool.tolerations,
      containers: [
        {
          name: 'instance',
          image: image.containerImage,
          // Privileged only inside the Kata VM (cri-o: privileged_without_host_devices); Docker needs it.
          securityContext: { privileged: true },
          resources: { requests: resources, limits: resources },
          ports: [{ name: 'ssh', containerPort: 22, protocol: 'TCP' }],
          readinessProbe: { tcpSocket: { port: 22 }, periodSeconds: 5 },
          volumeMounts: [
            { name: ROOT_VOLUME, mountPath: ROOTFS_MARKER_PATH },
            { name: 'ssh-keys', mountPath: '/etc/tispace/ssh', readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: ROOT_VOLUME, persistentVolumeClaim: { claimName: names.pvc } },
        { name: 'ssh-keys', secret: { secretName: names.secret, defaultMode: 0o444 } },
      ],
    },
  };
}

/** The snapshot taken before a disk is deleted; kept for the snapshot grace period. */
export function buildFinalSnapshot(config: TiSpaceConfig, instance: Instance, snapshotClass: string) {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: meta(config, instance, objectNames(instance.id, instance.generation).finalSnapshot),
    spec: {
      volumeSnapshotClassName: snapshotClass,
      source: { persistentVolumeClaimName: objectNames(instance.id).pvc },
    },
  };
}
