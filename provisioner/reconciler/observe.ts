import type { V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Condition } from '../domain/instance.ts';
import { machineHostName } from '../domain/ssh-access.ts';
import type { VolumeSnapshot } from '../kube/types.ts';

// Pure readings of what Kubernetes says, turned into TiSpace conditions with CamelCase reasons.

/** Container states that will not fix themselves: the instance is failed until someone acts. */
const FATAL_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

type NewCondition = Omit<Condition, 'lastTransitionTime'>;

export const podReady = (pod: V1Pod | undefined): boolean =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export function diskCondition(
  pvc: V1PersistentVolumeClaim | undefined,
  source: VolumeSnapshot | undefined,
  sourceName: string,
): NewCondition {
  if (pvc?.status?.phase === 'Bound')
    return {
      type: 'DiskReady',
      status: 'True',
      reason: 'Bound',
      message: `disk ${pvc.metadata?.name} is bound`,
    };
  if (!source)
    return {
      type: 'DiskReady',
      status: 'False',
      reason: 'SnapshotNotFound',
      message: `the image snapshot ${sourceName} does not exist; an admin must publish it`,
    };
  if (source.status?.readyToUse !== true)
    return {
      type: 'DiskReady',
      status: 'False',
      reason: 'SnapshotNotReady',
      message: `waiting for snapshot ${sourceName} to be ready${source.status?.error?.message ? `: ${source.status.error.message}` : ''}`,
    };
  return { type: 'DiskReady', status: 'False', reason: 'Provisioning', message: 'the disk is being cloned' };
}

export function scheduledCondition(pod: V1Pod | undefined): NewCondition & { since?: Date } {
  const c = pod?.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (!pod)
    return {
      type: 'Scheduled',
      status: 'Unknown',
      reason: 'PodNotCreated',
      message: 'the machine is not created yet',
    };
  if (c?.status === 'True')
    return {
      type: 'Scheduled',
      status: 'True',
      reason: 'Scheduled',
      message: `placed on ${pod.spec?.nodeName ?? 'a node'}`,
    };
  if (c?.status === 'False')
    return {
      type: 'Scheduled',
      status: 'False',
      reason: c.reason ?? 'Unschedulable',
      message: c.message ?? 'no node can take it',
      ...(c.lastTransitionTime ? { since: new Date(c.lastTransitionTime) } : {}),
    };
  return { type: 'Scheduled', status: 'Unknown', reason: 'Pending', message: 'waiting for the scheduler' };
}

export function readyCondition(pod: V1Pod | undefined): NewCondition & { fatal: boolean } {
  if (!pod)
    return { type: 'Ready', status: 'False', reason: 'PodNotCreated', message: 'not started', fatal: false };
  if (podReady(pod))
    return {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'running and accepting SSH',
      fatal: false,
    };
  for (const cs of pod.status?.containerStatuses ?? []) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason)
      return {
        type: 'Ready',
        status: 'False',
        reason: waiting.reason,
        message: waiting.message ?? waiting.reason,
        fatal: FATAL_WAITING_REASONS.has(waiting.reason),
      };
  }
  if (pod.status?.phase === 'Failed')
    return {
      type: 'Ready',
      status: 'False',
      reason: pod.status.reason ?? 'PodFailed',
      message: pod.status.message ?? 'the machine stopped unexpectedly',
      fatal: false,
    };
  return { type: 'Ready', status: 'False', reason: 'Starting', message: 'booting', fatal: false };
}

/** A Service of another type (NodePort/LoadBalancer, from before the SSH gateway) is applied as ClusterIP. */
export const serviceNeedsClusterIp = (service: V1Service): boolean =>
  (service.spec?.type ?? 'ClusterIP') !== 'ClusterIP';

/**
 * Where the machine's sshd is reached: users by its stable name (through the gateway), TiSpace itself by
 * the Service's ClusterIP (to read the host keys). Undefined until the Service has an address. A Service
 * still being converted from NodePort has the same ClusterIP: a running machine stays running meanwhile.
 */
export function sshEndpoint(
  service: V1Service | undefined,
  id: string,
  namespace: string,
): { host: string; port: 22; clusterIP: string } | undefined {
  if (!service) return undefined;
  const clusterIP = service.spec?.clusterIP;
  if (!clusterIP || clusterIP === 'None') return undefined;
  return { host: machineHostName(id, namespace), port: 22, clusterIP };
}

/** Keeps lastTransitionTime when a condition's status did not change (as Kubernetes does). */
export function mergeConditions(
  previous: readonly Condition[],
  next: readonly NewCondition[],
  now: string,
): Condition[] {
  return next.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    const { type, status, reason, message } = c;
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
    };
  });
}
