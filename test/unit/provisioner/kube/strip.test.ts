// The informer caches keep only what TiSpace reads: every reader gives the same answer on a stripped
// object as on the whole one the API server sends, and managedFields, last-applied and Secret values go.
import type {
  V1ManagedFieldsEntry,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { freePerNode, podRequests } from '../../../../provisioner/capacity.ts';
import { INSTANCE_LABEL, isManaged, isManagedInstanceObject } from '../../../../provisioner/domain/labels.ts';
import { buildPod, buildPvc, buildSecret, buildService } from '../../../../provisioner/kube/builders.ts';
import {
  stripNode,
  stripPod,
  stripPvc,
  stripSecret,
  stripService,
  stripSnapshot,
} from '../../../../provisioner/kube/strip.ts';
import type { VolumeSnapshot } from '../../../../provisioner/kube/types.ts';
import {
  diskCondition,
  podReady,
  readyCondition,
  scheduledCondition,
  serviceNeedsClusterIp,
  sshEndpoint,
} from '../../../../provisioner/reconciler/observe.ts';
import { config, image, instance } from '../fixtures.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const T = '2026-01-05T09:00:00Z';

// What the API server adds to every object: identity, version, and managedFields for each writer.
const managedFields = (object: object): V1ManagedFieldsEntry[] => [
  {
    manager: 'tispace',
    operation: 'Apply',
    apiVersion: 'v1',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': {}, 'f:annotations': {} },
      'f:spec': JSON.parse(JSON.stringify(object)),
    },
    time: new Date(T),
  },
  {
    manager: 'kubelet',
    operation: 'Update',
    apiVersion: 'v1',
    subresource: 'status',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {} } } } },
    time: new Date(T),
  },
];
const serverMeta = <M extends { metadata?: object }>(o: M, extra: Record<string, unknown> = {}) => ({
  ...o.metadata,
  uid: `uid-${Math.random().toString(36).slice(2)}`,
  resourceVersion: '4711',
  generation: 1,
  creationTimestamp: new Date(T),
  managedFields: managedFields(o),
  annotations: {
    ...(o.metadata as { annotations?: Record<string, string> }).annotations,
    [LAST_APPLIED]: JSON.stringify(o),
  },
  ...extra,
});

const podCondition = (type: string, status: string, extra: object = {}) => ({
  type,
  status,
  lastProbeTime: null as unknown as undefined,
  lastTransitionTime: new Date(T),
  ...extra,
});

/** An instance Pod as the API server returns it once kubelet (KWOK) ran it. */
function runningPod(): V1Pod {
  const pod = buildPod(config, instance, image);
  return {
    ...pod,
    metadata: serverMeta(pod),
    spec: {
      ...pod.spec!,
      nodeName: 'dev-1',
      overhead: { cpu: '250m', memory: '320Mi' },
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      qosClass: 'Guaranteed',
      hostIP: '10.0.0.1',
      podIP: '10.244.0.7',
      podIPs: [{ ip: '10.244.0.7' }],
      startTime: new Date(T),
      conditions: [
        podCondition('PodReadyToStartContainers', 'True'),
        podCondition('Initialized', 'True'),
        podCondition('Ready', 'True'),
        podCondition('ContainersReady', 'True'),
        podCondition('PodScheduled', 'True'),
      ],
      containerStatuses: [
        {
          name: 'instance',
          image: image.containerImage,
          imageID: `${image.containerImage}@sha256:${'a'.repeat(64)}`,
          containerID: `cri-o://${'b'.repeat(64)}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: new Date(T) } },
        },
      ],
    },
  };
}

function crashingPod(): V1Pod {
  const pod = runningPod();
  return {
    ...pod,
    metadata: { ...pod.metadata, deletionTimestamp: new Date(T) },
    status: {
      ...pod.status,
      conditions: pod.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)),
      containerStatuses: [
        {
          ...pod.status!.containerStatuses![0]!,
          ready: false,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting' } },
        },
      ],
    },
  };
}

function unschedulablePod(): V1Pod {
  const pod = runningPod();
  const { nodeName: _n, ...spec } = pod.spec!;
  return {
    ...pod,
    spec,
    status: {
      phase: 'Pending',
      qosClass: 'Guaranteed',
      conditions: [
        podCondition('PodScheduled', 'False', {
          reason: 'Unschedulable',
          message: '0/3 nodes are available: 3 Insufficient cpu.',
        }),
      ],
    },
  };
}

function failedPod(): V1Pod {
  const pod = runningPod();
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Failed',
      reason: 'Evicted',
      message: 'node low on memory',
      conditions: [podCondition('Ready', 'False'), podCondition('PodScheduled', 'True')],
      containerStatuses: [
        { ...pod.status!.containerStatuses![0]!, ready: false, state: { terminated: { exitCode: 137 } } },
      ],
    },
  };
}

/** Someone else's Pod on a dev-pool node: counted by capacity, nothing more. */
function foreignPod(): V1Pod {
  const body: V1Pod = {
    metadata: {
      name: 'fluentd-x7k2p',
      namespace: 'kube-system',
      labels: { app: 'fluentd', 'pod-template-hash': '5d9c8', 'controller-revision-hash': '77f' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u-ds', controller: true },
      ],
    },
    spec: {
      nodeName: 'dev-1',
      serviceAccountName: 'fluentd',
      initContainers: [
        { name: 'init', image: 'busybox', resources: { requests: { cpu: '1', memory: '64Mi' } } },
      ],
      containers: [
        {
          name: 'fluentd',
          image: 'fluentd:v1',
          env: [{ name: 'FLUENT_ELASTICSEARCH_HOST', value: 'es.logging.svc' }],
          resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '500Mi' } },
          volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
        },
        { name: 'exporter', image: 'exporter:v2', resources: { requests: { cpu: '50m', memory: '30Mi' } } },
      ],
      overhead: { cpu: '10m', memory: '10Mi' },
      volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.1',
      conditions: [podCondition('Ready', 'True')],
      containerStatuses: [
        { name: 'fluentd', image: 'fluentd:v1', imageID: 'x', ready: true, restartCount: 3, state: {} },
      ],
    },
  };
  return { ...body, metadata: serverMeta(body) };
}

function node(name: string, extra: Partial<V1Node['spec']> = {}): V1Node {
  const body: V1Node = {
    metadata: {
      name,
      labels: { 'tispace.io/pool': 'dev', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
    },
    spec: { podCIDR: '10.244.0.0/24', taints: [{ key: 'tispace.io/dev', effect: 'NoSchedule' }], ...extra },
    status: {
      allocatable: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      capacity: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      addresses: [
        { type: 'InternalIP', address: '10.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: 'b',
        containerRuntimeVersion: 'cri-o://1.30',
        kernelVersion: '6.1',
        kubeProxyVersion: 'v1.30',
        kubeletVersion: 'v1.30',
        machineID: 'm',
        operatingSystem: 'linux',
        osImage: 'Debian',
        systemUUID: 's',
      },
      images: [{ names: ['registry.k8s.io/pause:3.9'], sizeBytes: 744_000 }],
    },
  };
  return { ...body, metadata: serverMeta(body) };
}

function boundPvc(): V1PersistentVolumeClaim {
  const pvc = buildPvc(config, instance, image, 'golden-ubuntu-22-04');
  return {
    ...pvc,
    metadata: serverMeta(pvc, {
      finalizers: ['kubernetes.io/pvc-protection'],
    }),
    spec: { ...pvc.spec, volumeName: 'pvc-123' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '100Gi' } },
  };
}

/** The instance's Service as the API server returns it: ClusterIP, or an old NodePort one (before the gateway). */
function service(type: 'ClusterIP' | 'NodePort'): V1Service {
  const svc = buildService(config, instance);
  return {
    ...svc,
    metadata: serverMeta(svc),
    spec: {
      ...svc.spec,
      type,
      clusterIP: '10.96.0.12',
      clusterIPs: ['10.96.0.12'],
      ports: [
        {
          name: 'ssh',
          port: 22,
          targetPort: 22,
          protocol: 'TCP',
          ...(type === 'NodePort' ? { nodePort: 31022 } : {}),
        },
      ],
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  };
}

function secret(): V1Secret {
  const s = buildSecret(config, instance, ['ssh-ed25519 AAAAC3Nza ana@corp']);
  return {
    ...s,
    metadata: serverMeta(s),
    data: { ...s.data, token: Buffer.from('s3cret').toString('base64') },
  };
}

function snapshot(readyToUse: boolean, managed: boolean): VolumeSnapshot {
  const body: VolumeSnapshot = {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: {
      name: managed ? 'web1-k3f9x-final' : 'golden-ubuntu-22-04',
      namespace: 'tispace',
      ...(managed ? { labels: buildPvc(config, instance, image, 'x').metadata!.labels! } : {}),
    },
    spec: {
      volumeSnapshotClassName: 'csi-rbdplugin-snapclass',
      source: { persistentVolumeClaimName: 'src' },
    },
    status: {
      readyToUse,
      restoreSize: '10Gi',
      creationTime: T,
      ...(readyToUse ? {} : { error: { message: 'rbd: clone failed' } }),
    },
  };
  return { ...body, metadata: serverMeta(body) };
}

const json = (o: unknown) => JSON.stringify(o);
const clone = <T>(o: T): T => structuredClone(o);

describe('what the caches keep', () => {
  it('keeps every field the readers use, so each reader answers the same on the stripped object', () => {
    const selector = config.devPool.nodeSelector;
    const pods = [runningPod(), crashingPod(), unschedulablePod(), failedPod(), foreignPod()];
    const nodes = [node('dev-1'), node('dev-2', { unschedulable: true }), node('dev-3')];
    const stripped = pods.map(stripPod);
    for (const [i, pod] of pods.entries()) {
      const s = stripped[i]!;
      expect(s.metadata).toEqual({
        name: pod.metadata!.name,
        namespace: pod.metadata!.namespace,
        uid: pod.metadata!.uid,
        resourceVersion: pod.metadata!.resourceVersion,
        ...(isManaged(pod) ? { labels: pod.metadata!.labels } : {}),
        ...(pod.metadata!.deletionTimestamp ? { deletionTimestamp: pod.metadata!.deletionTimestamp } : {}),
      });
      expect(podRequests(s)).toEqual(podRequests(pod));
      expect(s.spec?.nodeName).toBe(pod.spec?.nodeName);
      expect(s.status?.phase).toBe(pod.status?.phase);
      // Instance Pods: what the reconciler reports.
      if (isManaged(pod)) {
        expect(podReady(s)).toBe(podReady(pod));
        expect(scheduledCondition(s)).toEqual(scheduledCondition(pod));
        expect(readyCondition(s)).toEqual(readyCondition(pod));
        expect(isManagedInstanceObject(s, instance.id)).toBe(true);
        expect(s.metadata?.labels?.[INSTANCE_LABEL]).toBe(instance.id); // capacity's boundInstanceIds
      } else {
        expect(isManagedInstanceObject(s, instance.id)).toBe(false);
      }
    }
    // Deliberately varied: crash reason, Unschedulable since, Failed reason, deletion in progress.
    expect(readyCondition(stripped[1]).reason).toBe('CrashLoopBackOff');
    expect(scheduledCondition(stripped[2]).since).toEqual(new Date(T));
    expect(readyCondition(stripped[3]).reason).toBe('Evicted');
    expect(stripped[1]!.metadata?.deletionTimestamp).toBeTruthy();

    const strippedNodes = nodes.map(stripNode);
    expect(freePerNode(strippedNodes, stripped, selector)).toEqual(freePerNode(nodes, pods, selector));
    expect(freePerNode(strippedNodes, stripped, selector).map((n) => n.node)).toEqual(['dev-1', 'dev-3']);

    for (const type of ['ClusterIP', 'NodePort'] as const) {
      const svc = service(type);
      // The reconciler: whether to convert it, and the address it reads host keys at.
      expect(serviceNeedsClusterIp(stripService(svc))).toBe(serviceNeedsClusterIp(svc));
      expect(sshEndpoint(stripService(svc), instance.id, 'tispace')).toEqual(
        sshEndpoint(svc, instance.id, 'tispace'),
      );
      expect(isManagedInstanceObject(stripService(svc), instance.id)).toBe(true);
      expect(stripService(svc).metadata?.uid).toBe(svc.metadata?.uid);
    }
    expect(sshEndpoint(stripService(service('ClusterIP')), instance.id, 'tispace')).toEqual({
      host: `${instance.id}-ssh.tispace`,
      port: 22,
      clusterIP: '10.96.0.12',
    });
    expect(serviceNeedsClusterIp(stripService(service('NodePort')))).toBe(true);
    expect(serviceNeedsClusterIp(stripService(service('ClusterIP')))).toBe(false);

    const pvc = boundPvc();
    for (const snap of [snapshot(true, false), snapshot(false, false)]) {
      expect(diskCondition(stripPvc(pvc), stripSnapshot(snap), 'golden')).toEqual(
        diskCondition(pvc, snap, 'golden'),
      );
      expect(diskCondition(undefined, stripSnapshot(snap), 'golden')).toEqual(
        diskCondition(undefined, snap, 'golden'),
      );
    }
    expect(diskCondition(undefined, stripSnapshot(snapshot(false, false)), 'golden').message).toContain(
      'rbd: clone failed',
    );
    expect(isManagedInstanceObject(stripPvc(pvc), instance.id)).toBe(true);
    const final = stripSnapshot(snapshot(true, true));
    expect(isManagedInstanceObject(final, instance.id)).toBe(true);
    expect(final.status?.readyToUse).toBe(true);
    expect(final.metadata?.uid).toBeDefined();

    const sec = secret();
    expect(stripSecret(sec).data?.authorized_keys).toBe(sec.data?.authorized_keys);
    expect(isManagedInstanceObject(stripSecret(sec), instance.id)).toBe(true);
  });

  it('drops managedFields, the last-applied annotation, specs nobody reads and Secret values', () => {
    const all: { full: object; stripped: object }[] = [
      ...[runningPod(), crashingPod(), foreignPod()].map((full) => ({ full, stripped: stripPod(full) })),
      { full: node('dev-1'), stripped: stripNode(node('dev-1')) },
      { full: boundPvc(), stripped: stripPvc(boundPvc()) },
      { full: service('NodePort'), stripped: stripService(service('NodePort')) },
      { full: secret(), stripped: stripSecret(secret()) },
      { full: snapshot(true, true), stripped: stripSnapshot(snapshot(true, true)) },
    ];
    for (const { full, stripped } of all) {
      expect(json(full)).toContain('managedFields');
      expect(json(full)).toContain(LAST_APPLIED);
      expect(json(stripped)).not.toContain('managedFields');
      expect(json(stripped)).not.toContain(LAST_APPLIED);
      expect(json(stripped)).not.toContain('annotations');
      expect(json(stripped)).not.toContain('creationTimestamp');
      // The point of it: a small fraction of the bytes.
      expect(json(stripped).length).toBeLessThan(json(full).length / 4);
    }
    // Secrets: the public keys the reconciler compares, no other value.
    expect(Object.keys(stripSecret(secret()).data ?? {})).toEqual(['authorized_keys']);
    expect(json(stripSecret(secret()))).not.toContain(Buffer.from('s3cret').toString('base64'));
    expect(stripSecret({ metadata: { name: 'x' }, data: { token: 'dG9r' } }).data).toBeUndefined();
    // A Pod that is not TiSpace's keeps only what capacity counts.
    expect(stripPod(foreignPod())).toEqual({
      metadata: expect.objectContaining({ name: 'fluentd-x7k2p', namespace: 'kube-system' }),
      spec: {
        nodeName: 'dev-1',
        containers: [
          { name: 'fluentd', resources: { requests: { cpu: '100m', memory: '200Mi' } } },
          { name: 'exporter', resources: { requests: { cpu: '50m', memory: '30Mi' } } },
        ],
        initContainers: [{ name: 'init', resources: { requests: { cpu: '1', memory: '64Mi' } } }],
        overhead: { cpu: '10m', memory: '10Mi' },
      },
      status: { phase: 'Running' },
    });
    expect(stripPod(foreignPod()).metadata?.labels).toBeUndefined();
  });

  it('keeps TiSpace’s labels on a foreign Pod, so a name collision is still seen as one', () => {
    const pod = foreignPod();
    pod.metadata!.labels = { ...pod.metadata!.labels, [INSTANCE_LABEL]: instance.id };
    const s = stripPod(pod);
    expect(s.metadata?.labels).toEqual({ [INSTANCE_LABEL]: instance.id });
    expect(isManagedInstanceObject(s, instance.id)).toBe(false);
  });

  it('is pure and copes with sparse objects (watch events of any shape)', () => {
    const inputs = [runningPod(), node('dev-1'), boundPvc(), service('NodePort'), secret()];
    const before = inputs.map(clone);
    stripPod(inputs[0] as V1Pod);
    stripNode(inputs[1] as V1Node);
    stripPvc(inputs[2] as V1PersistentVolumeClaim);
    stripService(inputs[3] as V1Service);
    stripSecret(inputs[4] as V1Secret);
    expect(inputs).toEqual(before);
    for (const strip of [stripPod, stripNode, stripPvc, stripService, stripSecret, stripSnapshot] as ((
      o: object,
    ) => object)[]) {
      expect(strip({})).toEqual({ metadata: {} });
      expect(strip({ metadata: { name: 'a', resourceVersion: '1' } })).toEqual({
        metadata: { name: 'a', resourceVersion: '1' },
      });
    }
  });
});
