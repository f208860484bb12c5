// Helpers to run a real Provisioner (real SQLite file, real informers) against the local control plane.

import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import {
  type Actor,
  type Clock,
  type CreateRequest,
  type Notifier,
  Provisioner,
  type ProvisionerOptions,
  type TiSpaceConfig,
} from '../../../provisioner/api.ts';
import { seedGolden } from '../../cluster/golden.ts';
import { giveTestKey } from '../../support/keys.ts';
import { silentLog } from '../../support/log.ts';
import { simulatedNodeHostKeys } from '../../support/simulated-host-keys.ts';
import { freshSshKey } from '../../support/ssh-client.ts';
import { tempDbPath } from '../../support/temp.ts';
import { kubeConfig, useNamespace, waitFor } from './cluster.ts';

export const GOLDEN = 'golden-ubuntu-22-04';

/** Creates a VolumeSnapshot `name` of PVC `pvc` (class csi-rbdplugin-snapclass, no TiSpace labels). */
export async function createVolumeSnapshot(
  namespace: string,
  name: string,
  pvc: string,
  kc: KubeConfig = kubeConfig(),
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
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
        source: { persistentVolumeClaimName: pvc },
      },
    },
  });
}

/** Publishes the golden image snapshot in `namespace` (a source PVC and a ready VolumeSnapshot of it). */
export const publishGoldenImage = (
  namespace: string,
  name = GOLDEN,
  kc: KubeConfig = kubeConfig(),
): Promise<void> =>
  seedGolden(kc, {
    namespace,
    name,
    storageClass: 'rook-ceph-block',
    snapshotClass: 'csi-rbdplugin-snapclass',
  });

export type TestProvisionerOptions = Partial<Omit<ProvisionerOptions, 'config'>> & { config: TiSpaceConfig };

/**
 * A started Provisioner; call stop() in afterAll/afterEach. Its machines run on simulated nodes, which
 * have no sshd: host keys come from the simulated reader unless `hostKeys` says otherwise (real nodes).
 */
export async function startProvisioner(options: TestProvisionerOptions): Promise<Provisioner> {
  const p = new Provisioner({
    kubeConfig: kubeConfig(),
    store: tempDbPath('tispace-it-'),
    log: silentLog,
    hostKeys: simulatedNodeHostKeys,
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

/**
 * The usual set-up of a provisioner test: a fresh namespace with a ready golden image, and a Provisioner
 * started over it before the tests (stopped after them). `p` is that Provisioner once beforeAll has run.
 */
export function useProvisioner(
  prefix: string,
  options: (namespace: string) => TestProvisionerOptions,
): { ns: { name: string }; readonly p: Provisioner } {
  const ns = useNamespace(prefix);
  let started: Provisioner | undefined;
  beforeAll(async () => {
    await publishGoldenImage(ns.name);
    started = await startProvisioner(options(ns.name));
  });
  afterAll(async () => {
    await started?.stop();
  });
  return {
    ns,
    get p() {
      if (!started) throw new Error('the Provisioner starts in beforeAll');
      return started;
    },
  };
}

/** Creates an instance as `actor` and waits until it runs; its id. */
export async function createRunning(p: Provisioner, actor: Actor, request: CreateRequest): Promise<string> {
  const created = await p.api.create(actor, request);
  if (!created.ok) throw new Error(created.error.message);
  await waitForInstance(p, created.value.id, (i) => i.phase === 'running', 'running');
  return created.value.id;
}

export function linkUser(
  p: Provisioner,
  userId: string,
  email = `${userId.toLowerCase()}@corp.com`,
): { userId: string; teamId: string } {
  const actor = { userId, teamId: 'T1' };
  p.api.linkIdentity(actor, { googleSub: `sub-${userId}`, email });
  giveTestKey(p.api, actor);
  return actor;
}

/**
 * A linked user with a fresh ed25519 key of their own, registered (its private key for the real `ssh`):
 * for tests that log in. The fixture key linkUser gives is registered too.
 */
export function linkUserWithKey(
  p: Provisioner,
  userId: string,
): { actor: { userId: string; teamId: string }; key: ReturnType<typeof freshSshKey> } {
  const actor = linkUser(p, userId);
  const key = freshSshKey(`${userId.toLowerCase()}@laptop`);
  const added = p.api.addKey(actor, key.publicKey);
  if (!added.ok) throw new Error(added.error.message);
  return { actor, key };
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
