import { CoreV1Api, type KubeConfig, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import type { TiSpaceConfig } from './config/schema.ts';
import { ANNOTATIONS, INSTANCE_LABEL, MANAGED_SELECTOR, OWNER_LABEL } from './domain/labels.ts';
import { newInstanceRow, type StoredInstance } from './store/instances-repo.ts';
import type { Store } from './store/store.ts';

export interface AdoptReport {
  adopted: string[];
  alreadyKnown: string[];
  /** Objects carrying TiSpace's label whose instance could not be rebuilt, with why. */
  unattributed: { object: string; problem: string }[];
}

/**
 * Rebuilds instance rows from the labels and annotations on the cluster (for a lost database).
 * The disk (PVC) is the instance: a Pod alongside it means it was running.
 */
export async function adopt(options: {
  config: TiSpaceConfig;
  store: Store;
  kubeConfig: KubeConfig;
  clock: Clock;
}): Promise<AdoptReport> {
  const { config, store, kubeConfig, clock } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const ns = config.namespace;
  const [pvcs, pods] = await Promise.all([
    core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: MANAGED_SELECTOR }),
    core.listNamespacedPod({ namespace: ns, labelSelector: MANAGED_SELECTOR }),
  ]);
  const podIds = new Set(pods.items.map((p) => p.metadata?.labels?.[INSTANCE_LABEL]).filter(Boolean));
  const report: AdoptReport = { adopted: [], alreadyKnown: [], unattributed: [] };
  const now = clock.now().toISOString();
  for (const pvc of pvcs.items) {
    const rebuilt = rebuild(pvc, podIds.has(pvc.metadata?.labels?.[INSTANCE_LABEL] ?? ''), config, now);
    if ('problem' in rebuilt) {
      report.unattributed.push({
        object: `PersistentVolumeClaim/${pvc.metadata?.name}`,
        problem: rebuilt.problem,
      });
      continue;
    }
    if (store.instances.get(rebuilt.id)) {
      report.alreadyKnown.push(rebuilt.id);
      continue;
    }
    if (store.instances.findByName(rebuilt.ownerId, rebuilt.name)) {
      report.unattributed.push({
        object: `PersistentVolumeClaim/${pvc.metadata?.name}`,
        problem: `owner ${rebuilt.ownerId} already has a live instance named ${rebuilt.name}`,
      });
      continue;
    }
    store.durably(() => {
      store.users.ensure(rebuilt.ownerId, '', now);
      store.instances.insert(rebuilt, now);
      store.audit.record({
        at: now,
        actor: 'adopt',
        action: 'adopt',
        instanceId: rebuilt.id,
        reason: 'rebuilt from cluster labels and annotations',
        details: {},
      });
    });
    report.adopted.push(rebuilt.id);
  }
  for (const pod of pods.items) {
    const id = pod.metadata?.labels?.[INSTANCE_LABEL];
    if (!id || !pvcs.items.some((p) => p.metadata?.labels?.[INSTANCE_LABEL] === id))
      report.unattributed.push({
        object: `Pod/${pod.metadata?.name}`,
        problem: 'no disk (PVC) with the same instance label',
      });
  }
  return report;
}

function rebuild(
  pvc: V1PersistentVolumeClaim,
  hasPod: boolean,
  config: TiSpaceConfig,
  now: string,
): StoredInstance | { problem: string } {
  const labels = pvc.metadata?.labels ?? {};
  const a = pvc.metadata?.annotations ?? {};
  const id = labels[INSTANCE_LABEL];
  const ownerId = labels[OWNER_LABEL];
  if (!id || !ownerId) return { problem: `missing label ${!id ? INSTANCE_LABEL : OWNER_LABEL}` };
  const missing = [
    ANNOTATIONS.name,
    ANNOTATIONS.ownerEmail,
    ANNOTATIONS.image,
    ANNOTATIONS.spec,
    ANNOTATIONS.leaseEndsAt,
  ].filter((k) => !a[k]);
  if (missing.length) return { problem: `missing annotations ${missing.join(', ')}` };
  let spec: { cpu: number; memoryGiB: number; diskGiB: number; loginUser: string };
  try {
    spec = JSON.parse(a[ANNOTATIONS.spec]!);
  } catch {
    return { problem: `annotation ${ANNOTATIONS.spec} is not JSON` };
  }
  if (![spec.cpu, spec.memoryGiB, spec.diskGiB].every((n) => Number.isInteger(n) && n > 0))
    return { problem: `annotation ${ANNOTATIONS.spec} lacks cpu/memoryGiB/diskGiB` };
  const image = config.images.find((i) => i.name === a[ANNOTATIONS.image]);
  return newInstanceRow({
    id,
    name: a[ANNOTATIONS.name]!,
    ownerId,
    ownerEmail: a[ANNOTATIONS.ownerEmail]!,
    image: a[ANNOTATIONS.image]!,
    cpu: spec.cpu,
    memoryGiB: spec.memoryGiB,
    diskGiB: spec.diskGiB,
    loginUser: spec.loginUser ?? image?.loginUser ?? 'dev',
    desired: hasPod ? 'running' : 'stopped',
    phase: hasPod ? 'provisioning' : 'stopped',
    createdAt: a[ANNOTATIONS.createdAt] ?? pvc.metadata?.creationTimestamp?.toISOString?.() ?? now,
    stoppedAt: hasPod ? null : now,
    leaseEndsAt: a[ANNOTATIONS.leaseEndsAt]!,
    lastActiveAt: now,
  });
}
