import type {
  V1Container,
  V1ContainerStatus,
  V1Node,
  V1NodeAddress,
  V1NodeCondition,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodCondition,
  V1PodSpec,
  V1Secret,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
import { INSTANCE_LABEL, isManaged, MANAGED_BY, OWNER_LABEL } from '../domain/labels.ts';
import type { VolumeSnapshot } from './types.ts';

// What the informer caches keep of each object: exactly the fields TiSpace reads (reconciler, observe,
// capacity, jobs' activity), nothing else. managedFields, annotations (the last-applied one included),
// specs and statuses nobody reads, and every Secret value but authorized_keys are dropped before an object
// is stored, which is what keeps memory flat at 10,000 instances. Pure functions: the input is not modified. A reader that needs a new field adds it here
// (test/unit/provisioner/kube/strip.test.ts lists what every reader relies on).

/** The labels TiSpace decides on (managed-by, instance, owner); any other label of a namespaced object goes. */
const TISPACE_LABELS = [MANAGED_BY, INSTANCE_LABEL, OWNER_LABEL] as const;

type Labels = Record<string, string>;

/** The entries of `record` under `keys`; undefined when none is there. */
function pick(record: Labels | undefined, keys: readonly string[]): Labels | undefined {
  if (!record) return undefined;
  const entries = keys.flatMap((k) => (record[k] === undefined ? [] : [[k, record[k]] as const]));
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/**
 * Identity (name, namespace, uid), resourceVersion (the cache's update check and the watch's resume
 * point), labels, and deletionTimestamp. Absent fields stay absent rather than `undefined`: every
 * property costs memory.
 */
function stripMeta(meta: V1ObjectMeta | undefined, labels: Labels | undefined): V1ObjectMeta {
  const out: V1ObjectMeta = {};
  if (!meta) return out;
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  if (meta.uid !== undefined) out.uid = meta.uid;
  if (meta.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  if (labels !== undefined) out.labels = labels;
  if (meta.deletionTimestamp) out.deletionTimestamp = meta.deletionTimestamp;
  return out;
}

const namespacedMeta = (meta: V1ObjectMeta | undefined) =>
  stripMeta(meta, pick(meta?.labels, TISPACE_LABELS));

/** A container as capacity sees it: its name and resource requests. */
function requestsOnly(containers: V1Container[] | undefined): V1Container[] | undefined {
  return containers?.map((c) => {
    const out: V1Container = { name: c.name };
    if (c.resources?.requests) out.resources = { requests: c.resources.requests };
    return out;
  });
}

/** The Pod conditions the reconciler reads: Ready (running) and PodScheduled (unschedulable since when). */
const POD_CONDITIONS = new Set(['Ready', 'PodScheduled']);

const podCondition = (c: V1PodCondition): V1PodCondition => {
  const out: V1PodCondition = { type: c.type, status: c.status };
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  if (c.lastTransitionTime) out.lastTransitionTime = c.lastTransitionTime;
  return out;
};

/** Only why a container is waiting (readyCondition turns that into the instance's failure reason). */
const containerStatus = (s: V1ContainerStatus): V1ContainerStatus => {
  const waiting = s.state?.waiting;
  const out = { name: s.name } as V1ContainerStatus;
  if (waiting)
    out.state = {
      waiting: {
        ...(waiting.reason !== undefined ? { reason: waiting.reason } : {}),
        ...(waiting.message !== undefined ? { message: waiting.message } : {}),
      },
    };
  return out;
};

/**
 * Every Pod (the cache is cluster-wide) keeps what capacity counts: the node, the phase, container and
 * init-container requests and the RuntimeClass overhead. TiSpace's own Pods also keep the status the
 * reconciler reports from (conditions, waiting reasons, failure reason).
 */
export function stripPod(pod: V1Pod): V1Pod {
  const out: V1Pod = { metadata: namespacedMeta(pod.metadata) };
  const spec = pod.spec;
  if (spec) {
    const s: V1PodSpec = { containers: requestsOnly(spec.containers) ?? [] };
    if (spec.nodeName) s.nodeName = spec.nodeName;
    if (spec.initContainers?.length) s.initContainers = requestsOnly(spec.initContainers);
    if (spec.overhead) s.overhead = spec.overhead;
    out.spec = s;
  }
  const status = pod.status;
  if (status) {
    const s: NonNullable<V1Pod['status']> = {};
    if (status.phase !== undefined) s.phase = status.phase;
    if (isManaged(pod)) {
      if (status.reason !== undefined) s.reason = status.reason;
      if (status.message !== undefined) s.message = status.message;
      if (status.conditions)
        s.conditions = status.conditions.filter((c) => POD_CONDITIONS.has(c.type)).map(podCondition);
      if (status.containerStatuses) s.containerStatuses = status.containerStatuses.map(containerStatus);
    }
    out.status = s;
  }
  return out;
}

/**
 * Nodes keep every label (the dev-pool selector is configuration), unschedulable, allocatable, the Ready
 * condition's status, and the addresses an SSH endpoint is built from.
 */
export function stripNode(node: V1Node): V1Node {
  const out: V1Node = { metadata: stripMeta(node.metadata, node.metadata?.labels) };
  if (node.spec?.unschedulable !== undefined) out.spec = { unschedulable: node.spec.unschedulable };
  const status = node.status;
  if (status) {
    const s: NonNullable<V1Node['status']> = {};
    if (status.allocatable) s.allocatable = status.allocatable;
    if (status.conditions)
      s.conditions = status.conditions
        .filter((c) => c.type === 'Ready')
        .map((c): V1NodeCondition => ({ type: c.type, status: c.status }));
    if (status.addresses)
      s.addresses = status.addresses.map((a): V1NodeAddress => ({ type: a.type, address: a.address }));
    out.status = s;
  }
  return out;
}

/** PVCs: whether the disk is bound. */
export function stripPvc(pvc: V1PersistentVolumeClaim): V1PersistentVolumeClaim {
  const out: V1PersistentVolumeClaim = { metadata: namespacedMeta(pvc.metadata) };
  if (pvc.status?.phase !== undefined) out.status = { phase: pvc.status.phase };
  return out;
}

/** Services: the type (an old NodePort/LoadBalancer one is converted), the ClusterIP and the port names. */
export function stripService(service: V1Service): V1Service {
  const out: V1Service = { metadata: namespacedMeta(service.metadata) };
  const spec = service.spec;
  if (spec) {
    const s: NonNullable<V1Service['spec']> = {};
    if (spec.type !== undefined) s.type = spec.type;
    if (spec.clusterIP !== undefined) s.clusterIP = spec.clusterIP;
    if (spec.ports)
      s.ports = spec.ports.map((p) => {
        const port: V1ServicePort = { port: p.port };
        if (p.name !== undefined) port.name = p.name;
        return port;
      });
    out.spec = s;
  }
  return out;
}

/** The one Secret key the reconciler compares (public keys, not credentials); every other value goes. */
const SECRET_KEYS_KEPT = ['authorized_keys'] as const;

/** Secrets: only authorized_keys, so the reconciler can tell whether the owner's keys changed. */
export function stripSecret(secret: V1Secret): V1Secret {
  const out: V1Secret = { metadata: namespacedMeta(secret.metadata) };
  const data = pick(secret.data, SECRET_KEYS_KEPT);
  if (data) out.data = data;
  return out;
}

/** VolumeSnapshots: whether they are ready, and why not. */
export function stripSnapshot(snapshot: VolumeSnapshot): VolumeSnapshot {
  const out: VolumeSnapshot = { metadata: namespacedMeta(snapshot.metadata) };
  // The source says whose disk a snapshot holds: a final snapshot is trusted only if it is of ours.
  const source = snapshot.spec?.source?.persistentVolumeClaimName;
  if (source !== undefined) out.spec = { source: { persistentVolumeClaimName: source } };
  const status = snapshot.status;
  if (status) {
    const s: NonNullable<VolumeSnapshot['status']> = {};
    if (status.readyToUse !== undefined) s.readyToUse = status.readyToUse;
    if (status.error?.message !== undefined) s.error = { message: status.error.message };
    out.status = s;
  }
  return out;
}
