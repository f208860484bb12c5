import { objectNames } from '../domain/names.ts';
import { jumpSpec } from '../domain/ssh-access.ts';
import { buildPod, buildPvc, buildSecret, buildService } from '../kube/builders.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import { DONE, type ReconcileOutcome } from './controller.ts';
import { type InstanceContext, ref } from './instance-context.ts';
import {
  diskCondition,
  podReady,
  readyCondition,
  scheduledCondition,
  serviceNeedsClusterIp,
  sshEndpoint,
} from './observe.ts';

/** Retries of an unread host key: the wait so far, doubled each time, between 1 s and 30 s. */
const HOST_KEY_RETRY = { minMs: 1000, maxMs: 30_000 } as const;

/** Since when the instance has been waiting for its host key (now, for the first failed read). */
function waitingForHostKeySince(instance: StoredInstance): number | undefined {
  const c = instance.conditions.find((x) => x.type === 'SshReady');
  return c?.status === 'False' && c.reason === 'WaitingForHostKey'
    ? Date.parse(c.lastTransitionTime)
    : undefined;
}

/** Backoff without sleeping or counting: the next try after as long again as the wait has lasted. */
export function hostKeyRetryMs(waitingSince: number | undefined, now: Date): number {
  const waited = waitingSince === undefined ? 0 : now.getTime() - waitingSince;
  return Math.min(HOST_KEY_RETRY.maxMs, Math.max(HOST_KEY_RETRY.minMs, Number.isFinite(waited) ? waited : 0));
}

/** Create / start: Secret, disk, Service, Pod, each only when missing; then observe and report. */
export async function ensureRunning(
  ctx: InstanceContext,
  instance: StoredInstance,
): Promise<ReconcileOutcome> {
  const { config, world, store } = ctx.o;
  const ns = config.namespace;
  const names = objectNames(instance.id);
  const image = config.images.find((i) => i.name === instance.image);

  const secret = world.secrets.get(names.secret, ns);
  // An offboarded owner's keys stay out: an admin starting their machine must not let them back in.
  const ownerActive = !store.users.get(instance.ownerId)?.deactivatedAt;
  const desiredSecret = buildSecret(
    config,
    instance,
    ownerActive ? store.keys.list(instance.ownerId).map((k) => k.publicKey) : [],
  );
  const secretStop = await ctx.ensureOwned(instance, 'Secret', secret, () => desiredSecret);
  if (secretStop) return secretStop;
  if (secret && secret.data?.authorized_keys !== desiredSecret.data?.authorized_keys) {
    ctx.step('apply-secret', instance.id);
    await ctx.o.kube.apply(desiredSecret);
  }

  const pvc = world.pvcs.get(names.pvc, ns);
  const sourceName = instance.snapshotName ?? image?.snapshot ?? '';
  if (!pvc && !image) {
    ctx.setStatus(instance, {
      phase: 'failed',
      conditions: [
        {
          type: 'DiskReady',
          status: 'False',
          reason: 'ImageUnavailable',
          message: `image ${instance.image} is no longer in the catalog`,
        },
      ],
    });
    return DONE;
  }
  const pvcStop = await ctx.ensureOwned(instance, 'PersistentVolumeClaim', pvc, () =>
    buildPvc(config, instance, image!, sourceName),
  );
  if (pvcStop) return pvcStop;

  const service = world.services.get(names.service, ns);
  const serviceStop = await ctx.ensureOwned(instance, 'Service', service, () =>
    buildService(config, instance),
  );
  if (serviceStop) return serviceStop;
  if (service && serviceNeedsClusterIp(service)) {
    // From before the SSH gateway: applying ClusterIP makes the API server drop the node ports.
    ctx.step('apply-service', instance.id);
    await ctx.o.kube.apply(buildService(config, instance));
  }

  // A Pod created just now is undefined here: its watch event brings the next pass.
  const pod = world.pods.get(names.pod, ns);
  if (!pod && !image) {
    ctx.setStatus(instance, { phase: 'failed' });
    return DONE;
  }
  const podStop = await ctx.ensureOwned(instance, 'Pod', pod, () => buildPod(config, instance, image!));
  if (podStop) return podStop;
  if (pod?.metadata?.deletionTimestamp) {
    ctx.setStatus(instance, { phase: 'provisioning' }); // the old Pod is still going
    return DONE;
  }
  if (pod && (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded')) {
    ctx.step('delete-dead-pod', instance.id);
    await ctx.deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
    return DONE;
  }

  // Observe and report.
  const source = world.snapshots.get(sourceName, ns);
  const disk = diskCondition(pvc, source, sourceName);
  const scheduled = scheduledCondition(pod);
  const ready = readyCondition(pod);
  const now = ctx.o.clock.now();
  const failAfter = ctx.o.unschedulableFailAfterMs ?? 120_000;
  const unschedulableFor =
    scheduled.status === 'False' && scheduled.since ? now.getTime() - scheduled.since.getTime() : 0;
  const conditions = [disk, scheduled, ready].map(({ type, status, reason, message }) => ({
    type,
    status,
    reason,
    message,
  }));

  if (pod && podReady(pod)) {
    const node = pod.spec?.nodeName ?? null;
    const endpoint = sshEndpoint(service, instance.id, ns);
    // Running means "you can ssh in and check the host": until the Service has its address (the watch
    // brings it) and the host keys were read, the instance is still provisioning.
    const waitingForSsh = (reason: string, message: string) =>
      ctx.setStatus(instance, {
        phase: 'provisioning',
        node,
        conditions: [...conditions, { type: 'SshReady', status: 'False', reason, message }],
      });
    if (!endpoint) {
      waitingForSsh('WaitingForAddress', 'waiting for the SSH address');
      return { requeueAfterMs: 1000 };
    }
    // The keys live on the root disk: read once, at the first boot; later starts keep them.
    let hostKeys = instance.hostKeys;
    if (hostKeys.length === 0) {
      const read = await ctx.o.hostKeys.read(endpoint.clusterIP, endpoint.port);
      if (!read.ok || read.keys.length === 0) {
        const waitingSince = waitingForHostKeySince(instance);
        waitingForSsh(
          'WaitingForHostKey',
          `cannot read the SSH host key yet: ${read.ok ? 'sshd presented no key' : read.reason}`,
        );
        return { requeueAfterMs: hostKeyRetryMs(waitingSince, now) };
      }
      hostKeys = read.keys;
    }
    ctx.setStatus(instance, {
      phase: 'running',
      node,
      sshHost: endpoint.host,
      sshPort: endpoint.port,
      sshJump: jumpSpec(config.gateway),
      hostKeys,
      readyAt: instance.readyAt ?? now.toISOString(),
      stoppedAt: null,
      conditions,
    });
    // Restored: the disk is a bound clone now, so the snapshot it came from has done its job.
    if (instance.snapshotName && pvc?.status?.phase === 'Bound')
      await ctx.dropSnapshot(instance, instance.snapshotName);
    return DONE;
  }
  if (ready.fatal || (scheduled.status === 'False' && unschedulableFor >= failAfter)) {
    ctx.setStatus(instance, { phase: 'failed', conditions });
    return DONE;
  }
  ctx.setStatus(instance, {
    phase: instance.phase === 'failed' && !pod ? 'failed' : 'provisioning',
    conditions,
  });
  return scheduled.status === 'False'
    ? { requeueAfterMs: Math.max(1000, failAfter - unschedulableFor) }
    : DONE;
}
