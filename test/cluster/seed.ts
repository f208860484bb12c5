import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { sharedCrdDir } from './paths.ts';
import { serverSideApply } from './raw-apply.ts';

export const fieldManager = 'tispace-test-cluster';

/** The driver name Rook's RBD CSI driver registers; the fake provisioner answers for it. */
export const rbdDriver = 'rook-ceph.rbd.csi.ceph.com';

/** Annotation that makes KWOK manage a node (see the --manage-nodes-with-annotation-selector flag). */
export const kwokNodeAnnotation = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;

export const devNodeNames = ['dev-1', 'dev-2', 'dev-3'] as const;

export interface KwokNodeShape {
  /** Pool labels (the dev pool by default). */
  labels?: Record<string, string>;
  resources?: Record<string, string>;
  taints?: V1Taint[];
}

/**
 * The label the patched-cri-o install puts on a node (docs/deploying.md, step 3); kata/runtimeclass.yaml
 * schedules instances only onto nodes carrying it and the kata-deploy label.
 */
export const patchedCrioLabel = { key: 'tispace.io/crio-rootfs-volume', value: 'true' } as const;

/** Labels of a node where Kata and TiSpace's patched cri-o are installed. */
export const kataNodeLabels = {
  'katacontainers.io/kata-runtime': 'true',
  [patchedCrioLabel.key]: patchedCrioLabel.value,
} as const;

/** A node KWOK manages, labelled Kata-capable; by default a dev-pool node of 32 CPU / 128 GiB. */
export function kwokNode(name: string, shape: KwokNodeShape = {}): V1Node {
  const resources = shape.resources ?? {
    cpu: '32',
    memory: '128Gi',
    pods: '110',
    'ephemeral-storage': '1Ti',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        ...(shape.labels ?? { 'tispace.io/pool': 'dev' }),
        ...kataNodeLabels,
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
      annotations: {
        [kwokNodeAnnotation.key]: kwokNodeAnnotation.value,
        'node.alpha.kubernetes.io/ttl': '0',
      },
    },
    spec: shape.taints ? { taints: shape.taints } : {},
    // Nodes accept status on create; KWOK's node-initialize stage keeps capacity/allocatable as given.
    status: { capacity: resources, allocatable: resources },
  };
}

/** Cluster-scoped objects TiSpace expects from the platform (Kata RuntimeClass, Rook StorageClass, …). */
export function platformObjects(): KubernetesObject[] {
  return [
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'kata' },
      handler: 'kata',
      overhead: { podFixed: { cpu: '250m', memory: '320Mi' } },
      // As kata/runtimeclass.yaml's (test/unit/kata-node-label.test.ts compares them).
      scheduling: { nodeSelector: { ...kataNodeLabels } },
    } as KubernetesObject,
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'rook-ceph-block' },
      provisioner: rbdDriver,
      // Rook's deploy/examples/csi/rbd/storageclass.yaml
      parameters: {
        clusterID: 'rook-ceph',
        pool: 'replicapool',
        imageFormat: '2',
        imageFeatures: 'layering',
        'csi.storage.k8s.io/provisioner-secret-name': 'rook-csi-rbd-provisioner',
        'csi.storage.k8s.io/provisioner-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/controller-expand-secret-name': 'rook-csi-rbd-provisioner',
        'csi.storage.k8s.io/controller-expand-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/node-stage-secret-name': 'rook-csi-rbd-node',
        'csi.storage.k8s.io/node-stage-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/fstype': 'ext4',
      },
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    } as KubernetesObject,
  ];
}

export function snapshotClass(): KubernetesObject {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name: 'csi-rbdplugin-snapclass' },
    driver: rbdDriver,
    deletionPolicy: 'Delete',
    parameters: {
      clusterID: 'rook-ceph',
      'csi.storage.k8s.io/snapshotter-secret-name': 'rook-csi-rbd-provisioner',
      'csi.storage.k8s.io/snapshotter-secret-namespace': 'rook-ceph',
    },
  } as KubernetesObject;
}

/** All CustomResourceDefinitions in third_party/crds/*.yaml. */
export function sharedCrds(dir = sharedCrdDir): KubernetesObject[] {
  const crds: KubernetesObject[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubernetesObject | null;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
    }
  }
  return crds;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitEstablished(kc: KubeConfig, names: string[], timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  let pending = names;
  while (Date.now() < deadline) {
    const list = await api.listCustomResourceDefinition();
    const established = new Set(
      list.items
        .filter((crd) => crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        .map((crd) => crd.metadata?.name),
    );
    pending = names.filter((n) => !established.has(n));
    if (pending.length === 0) return;
    await sleep(200);
  }
  throw new Error(`CRDs not Established within ${timeoutMs / 1000} s: ${pending.join(', ')}`);
}

async function waitNodesReady(kc: KubeConfig, names: readonly string[], timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let pending: string[] = [...names];
  while (Date.now() < deadline) {
    const nodes = await core.listNode();
    const ready = new Set(
      nodes.items
        .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .filter((n) => !n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/')))
        .map((n) => n.metadata?.name),
    );
    pending = names.filter((n) => !ready.has(n));
    if (pending.length === 0) return;
    await sleep(250);
  }
  throw new Error(`nodes not Ready (and untainted) within ${timeoutMs / 1000} s: ${pending.join(', ')}`);
}

/**
 * Deletes the dev nodes' Leases left by a previous KWOK process. KWOK only manages (and plays Pod stages
 * for) nodes whose Lease it holds, so a stale one would delay every Pod until it expired (~40 s).
 */
export async function releaseNodeLeases(kc: KubeConfig): Promise<void> {
  const leases = kc.makeApiClient(CoordinationV1Api);
  for (const name of devNodeNames) {
    try {
      await leases.deleteNamespacedLease({ name, namespace: 'kube-node-lease' });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

/** Sets `labels` on an existing node (a JSON merge patch: other labels stay). */
export async function labelNode(kc: KubeConfig, name: string, labels: Record<string, string>): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .patchNode(
      { name, body: { metadata: { labels } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

/**
 * Idempotently installs what the tests expect: the shared CRDs (waiting until Established), the Kata
 * RuntimeClass, the Rook StorageClass and VolumeSnapshotClass, and the KWOK dev nodes (waiting until
 * Ready and free of the not-ready taints).
 */
export async function seedCluster(kc: KubeConfig, log: (line: string) => void): Promise<void> {
  const crds = sharedCrds();
  for (const crd of crds) await serverSideApply(kc, crd, fieldManager);
  await waitEstablished(
    kc,
    crds.map((c) => c.metadata?.name ?? ''),
    60_000,
  );
  log(`[cluster] ${crds.length} CRDs established`);
  for (const obj of [...platformObjects(), snapshotClass()]) await serverSideApply(kc, obj, fieldManager);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of devNodeNames) {
    try {
      await core.readNode({ name });
      // A node created by an older checkout may lack a label the RuntimeClass now requires.
      await labelNode(kc, name, kwokNode(name).metadata?.labels ?? {});
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await core.createNode({ body: kwokNode(name) });
    }
  }
  await waitNodesReady(kc, devNodeNames, 90_000);
  log(`[cluster] nodes ${devNodeNames.join(', ')} Ready`);
}
