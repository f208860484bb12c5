// Helpers to run a real Provisioner (real SQLite file, real informers) against the local control plane.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  type Clock,
  type Notifier,
  Provisioner,
  type ProvisionerOptions,
  parseConfig,
  type TiSpaceConfig,
} from '../../../provisioner/api.ts';
import { kubeConfig, waitFor } from './cluster.ts';

export const GOLDEN = 'golden-ubuntu-22-04';

export function testConfig(namespace: string, overrides: Record<string, unknown> = {}): TiSpaceConfig {
  const result = parseConfig({ namespace, resyncSeconds: 30, ...overrides });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export const tempDbPath = (): string => join(mkdtempSync(join(tmpdir(), 'tispace-it-')), 'tispace.db');

/** Publishes the golden image snapshot in `namespace` (a source PVC and a ready VolumeSnapshot of it). */
export async function publishGoldenImage(
  namespace: string,
  name = GOLDEN,
  kc: KubeConfig = kubeConfig(),
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name: `${name}-src` },
      spec: {
        storageClassName: 'rook-ceph-block',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '10Gi' } },
      },
    },
  });
  await custom.createNamespacedCustomObject({
    group: 'snapshot.storage.k8s.io',
    version: 'v1',
    namespace,
    plural: 'volumesnapshots',
    body: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name },
      spec: {
        volumeSnapshotClassName: 'csi-rbdplugin-snapclass',
        source: { persistentVolumeClaimName: `${name}-src` },
      },
    },
  });
  await waitFor(
    async () => {
      const s = (await custom.getNamespacedCustomObject({
        group: 'snapshot.storage.k8s.io',
        version: 'v1',
        namespace,
        plural: 'volumesnapshots',
        name,
      })) as { status?: { readyToUse?: boolean } };
      return s.status?.readyToUse ? true : undefined;
    },
    { timeoutMs: 60_000, what: `golden snapshot ${namespace}/${name} ready` },
  );
}

export type TestProvisionerOptions = Partial<Omit<ProvisionerOptions, 'config'>> & { config: TiSpaceConfig };

/** A started Provisioner; call stop() in afterAll/afterEach. */
export async function startProvisioner(options: TestProvisionerOptions): Promise<Provisioner> {
  const p = new Provisioner({
    kubeConfig: kubeConfig(),
    store: tempDbPath(),
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  });
  const started = await p.start();
  if (!started.ok) throw new Error(started.error.message);
  await waitFor(async () => (p.world.synced ? true : undefined), {
    timeoutMs: 30_000,
    what: 'informers synced',
  });
  return p;
}

export function linkUser(
  p: Provisioner,
  userId: string,
  email = `${userId.toLowerCase()}@corp.com`,
): { userId: string; teamId: string } {
  const actor = { userId, teamId: 'T1' };
  p.api.linkIdentity(actor, { googleSub: `sub-${userId}`, email });
  return actor;
}

/** Waits until the stored instance satisfies `predicate` (the reconciler writes the store). */
export function waitForInstance(
  p: Provisioner,
  id: string,
  predicate: (i: NonNullable<ReturnType<Provisioner['store']['instances']['get']>>) => boolean,
  what: string,
  timeoutMs = 60_000,
) {
  return waitFor(
    async () => {
      const i = p.store.instances.get(id);
      return i && predicate(i) ? i : undefined;
    },
    { timeoutMs, what: `${id}: ${what}` },
  );
}

/** Every object labelled with the instance, by kind. */
export async function labelledObjects(namespace: string, id: string, kc: KubeConfig = kubeConfig()) {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const labelSelector = `tispace.io/instance=${id}`;
  const [pods, pvcs, services, secrets, snapshots] = await Promise.all([
    core.listNamespacedPod({ namespace, labelSelector }),
    core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
    core.listNamespacedService({ namespace, labelSelector }),
    core.listNamespacedSecret({ namespace, labelSelector }),
    custom.listNamespacedCustomObject({
      group: 'snapshot.storage.k8s.io',
      version: 'v1',
      namespace,
      plural: 'volumesnapshots',
      labelSelector,
    }) as Promise<{ items: { metadata: { name: string } }[] }>,
  ]);
  const live = <T extends { metadata?: { deletionTimestamp?: unknown } }>(items: T[]) =>
    items.filter((i) => !i.metadata?.deletionTimestamp);
  return {
    pods: live(pods.items),
    pvcs: live(pvcs.items),
    services: live(services.items),
    secrets: live(secrets.items),
    snapshots: snapshots.items,
  };
}

export type { Clock, Notifier };
