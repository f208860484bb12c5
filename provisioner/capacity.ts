import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from './domain/quantity.ts';

export const GiB = 1024 ** 3;

/** Resources in scheduler units: CPU in millicores, memory in bytes. */
export interface Resources {
  cpuMilli: number;
  memoryBytes: number;
}

export interface NodeFree extends Resources {
  node: string;
  allocatable: Resources;
}

const toMilli = (q: string | undefined): number => (q ? Math.round(parseQuantity(q) * 1000) : 0);
const toBytes = (q: string | undefined): number => (q ? Math.round(parseQuantity(q)) : 0);

export const resourcesOf = (map: Record<string, string> | undefined): Resources => ({
  cpuMilli: toMilli(map?.cpu),
  memoryBytes: toBytes(map?.memory),
});

/** A Pod's scheduling request, as kube-scheduler counts it: max(sum of containers, any init) + overhead. */
export function podRequests(pod: V1Pod): Resources {
  const sum = { cpuMilli: 0, memoryBytes: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const r = resourcesOf(c.resources?.requests);
    sum.cpuMilli += r.cpuMilli;
    sum.memoryBytes += r.memoryBytes;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = resourcesOf(c.resources?.requests);
    sum.cpuMilli = Math.max(sum.cpuMilli, r.cpuMilli);
    sum.memoryBytes = Math.max(sum.memoryBytes, r.memoryBytes);
  }
  const overhead = resourcesOf(pod.spec?.overhead);
  return { cpuMilli: sum.cpuMilli + overhead.cpuMilli, memoryBytes: sum.memoryBytes + overhead.memoryBytes };
}

const matchesSelector = (labels: Record<string, string> | undefined, selector: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const isReady = (node: V1Node) =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Free resources per schedulable dev-pool node = allocatable − requests of the given Pods bound there −
 * `reserved` (what Pods TiSpace cannot see, DaemonSets, request on every node).
 */
export function freePerNode(
  nodes: readonly V1Node[],
  pods: readonly V1Pod[],
  nodeSelector: Record<string, string>,
  reserved: Resources = { cpuMilli: 0, memoryBytes: 0 },
): NodeFree[] {
  const used = new Map<string, Resources>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const r = podRequests(pod);
    const u = used.get(node) ?? { cpuMilli: 0, memoryBytes: 0 };
    used.set(node, { cpuMilli: u.cpuMilli + r.cpuMilli, memoryBytes: u.memoryBytes + r.memoryBytes });
  }
  return nodes
    .filter((n) => matchesSelector(n.metadata?.labels, nodeSelector) && !n.spec?.unschedulable && isReady(n))
    .map((n) => {
      const allocatable = resourcesOf(n.status?.allocatable);
      const u = used.get(n.metadata!.name!) ?? { cpuMilli: 0, memoryBytes: 0 };
      return {
        node: n.metadata!.name!,
        allocatable,
        cpuMilli: allocatable.cpuMilli - u.cpuMilli - reserved.cpuMilli,
        memoryBytes: allocatable.memoryBytes - u.memoryBytes - reserved.memoryBytes,
      };
    })
    .sort((a, b) => a.node.localeCompare(b.node));
}

const fits = (slot: Resources, r: Resources) =>
  slot.cpuMilli >= r.cpuMilli && slot.memoryBytes >= r.memoryBytes;

export interface PlacementResult {
  fits: boolean;
  /** The node with the most room after the reserved-but-unscheduled requests are placed. */
  largest: NodeFree | undefined;
  totalFree: Resources;
}

/**
 * Would `request` fit on one node after placing `pending` (accepted but not yet bound) requests
 * first-fit, largest first? A request that fits only in sum does not fit.
 */
export function place(
  free: readonly NodeFree[],
  pending: readonly Resources[],
  request: Resources,
): PlacementResult {
  const slots = free.map((f) => ({ ...f }));
  for (const p of [...pending].sort((a, b) => b.cpuMilli - a.cpuMilli || b.memoryBytes - a.memoryBytes)) {
    const slot = slots.find((s) => fits(s, p));
    if (slot) {
      slot.cpuMilli -= p.cpuMilli;
      slot.memoryBytes -= p.memoryBytes;
    }
  }
  const largest = [...slots].sort((a, b) => b.cpuMilli - a.cpuMilli || b.memoryBytes - a.memoryBytes)[0];
  const totalFree = slots.reduce(
    (t, s) => ({
      cpuMilli: t.cpuMilli + Math.max(0, s.cpuMilli),
      memoryBytes: t.memoryBytes + Math.max(0, s.memoryBytes),
    }),
    { cpuMilli: 0, memoryBytes: 0 },
  );
  return { fits: slots.some((s) => fits(s, request)), largest, totalFree };
}

export const formatCpu = (milli: number) => `${Math.floor(Math.max(0, milli) / 100) / 10}`;
export const formatGiB = (bytes: number) => `${Math.floor((Math.max(0, bytes) / GiB) * 10) / 10}`;
