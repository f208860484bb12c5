// The manifests' own RBAC is enough for the provisioner, and no more: the whole create/stop/start/delete
// flow runs as the ServiceAccount bound by manifests/base/rbac.yaml (not as admin), and that token is
// refused outside TiSpace's namespace — it cannot even list other namespaces' Pods, yet capacity counts
// what runs on the dev-pool nodes (issue 14, item 12).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Provisioner } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { kubeConfig, repoRoot, serviceAccountKubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import {
  labelledObjects,
  linkUser,
  publishGoldenImage,
  startProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const ns = useNamespace('it-rbac');
let saKc: KubeConfig;
let p: Provisioner;
const clusterScoped: KubernetesObject[] = [];

/** manifests/base/rbac.yaml, moved into the test namespace (cluster-scoped names made unique). */
function rbacObjects(namespace: string): KubernetesObject[] {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'manifests', 'base', 'rbac.yaml'), 'utf8')).map(
    (d) => d.toJS() as KubernetesObject & Record<string, unknown>,
  );
  expect(docs.map((d) => d.kind).sort()).toEqual([
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
  ]);
  return docs.map((doc) => {
    const o = structuredClone(doc) as KubernetesObject & {
      subjects?: { namespace?: string }[];
      roleRef?: { kind: string; name: string };
    };
    if (o.kind === 'Role' || o.kind === 'RoleBinding') o.metadata!.namespace = namespace;
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')
      o.metadata!.name = `${o.metadata!.name}-${namespace}`;
    if (o.roleRef?.kind === 'ClusterRole') o.roleRef.name = `${o.roleRef.name}-${namespace}`;
    for (const s of o.subjects ?? []) s.namespace = namespace;
    return o;
  });
}

beforeAll(async () => {
  const admin = KubernetesObjectApi.makeApiClient(kubeConfig());
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'tispace' } } });
  for (const o of rbacObjects(ns.name)) {
    await admin.create(o);
    if (!o.metadata?.namespace) clusterScoped.push(o);
  }
  await publishGoldenImage(ns.name);
  saKc = await serviceAccountKubeConfig(ns.name, 'tispace');
  p = await startProvisioner({
    config: namespaceConfig(ns.name, {
      admins: ['root@corp.com'],
      devPool: { reservedPerNode: { cpu: 1, memoryGiB: 2 } },
    }),
    kubeConfig: saKc,
  });
});

afterAll(async () => {
  await p?.stop();
  const admin = KubernetesObjectApi.makeApiClient(kubeConfig());
  for (const o of clusterScoped) await admin.delete(o).catch(() => undefined);
});

const status = async (call: Promise<unknown>) => {
  try {
    await call;
    return 200;
  } catch (error) {
    return (error as { code?: number }).code;
  }
};

describe('least-privilege RBAC from manifests/', () => {
  it('runs create, stop, start and delete with the ServiceAccount token alone', async () => {
    const u = linkUser(p, 'URBAC');
    const created = await p.api.create(u, { name: 'rbac', cpu: 1, memoryGiB: 2 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await waitForInstance(p, id, (i) => i.phase === 'running' && i.sshPort !== null, 'running');
    expect(p.api.stop(u, 'rbac').ok).toBe(true);
    await waitForInstance(p, id, (i) => i.phase === 'stopped', 'stopped');
    expect((await p.api.start(u, 'rbac')).ok).toBe(true);
    await waitForInstance(p, id, (i) => i.phase === 'running', 'running again');
    expect(p.api.delete(u, 'rbac').ok).toBe(true);
    await waitForInstance(p, id, (i) => i.phase === 'deleted', 'deleted');
    const left = await labelledObjects(ns.name, id);
    expect([left.pods, left.pvcs, left.services, left.secrets].map((l) => l.length)).toEqual([0, 0, 0, 0]);
    expect(p.reconciler.stats.errors).toBe(0);
  });

  it('reads the Kubernetes events of a machine’s own objects with the same token, for its owner only', async () => {
    const u = linkUser(p, 'UEVENTS');
    const created = await p.api.create(u, { name: 'events', cpu: 1, memoryGiB: 2 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await waitForInstance(p, id, (i) => i.phase === 'running', 'running');
    // A warning about this machine's disk, and one about another object (never shown).
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const warn = (name: string, kind: string, objectName: string) =>
      core.createNamespacedEvent({
        namespace: ns.name,
        body: {
          metadata: { name },
          involvedObject: { kind, name: objectName, namespace: ns.name, apiVersion: 'v1' },
          type: 'Warning',
          reason: 'FailedAttachVolume',
          message: `attach of ${objectName} timed out`,
          count: 3,
          lastTimestamp: new Date(),
          source: { component: 'rbac-test' },
        },
      });
    await warn('disk-warning', 'PersistentVolumeClaim', `${id}-root`);
    await warn('other-warning', 'PersistentVolumeClaim', 'someone-elses-disk');
    const read = await waitFor(
      async () => {
        const r = await p.events.recent(u, { id });
        return r.ok && r.value.events.some((e) => e.reason === 'Scheduled') ? r : undefined;
      },
      { what: 'the scheduler’s event', timeoutMs: 30_000 },
    );
    expect(read.value.unavailable).toBeUndefined();
    expect(read.value.events.find((e) => e.reason === 'Scheduled')).toMatchObject({
      object: 'machine',
      type: 'Normal',
    });
    expect(read.value.events.find((e) => e.reason === 'FailedAttachVolume')).toMatchObject({
      object: 'disk',
      type: 'Warning',
      count: 3,
      message: `attach of ${id}-root timed out`,
    });
    expect(read.value.events.some((e) => e.message.includes('someone-elses-disk'))).toBe(false);
    // Another user is told the machine does not exist; nothing of it is read.
    const other = linkUser(p, 'UOTHER', 'other@corp.com');
    expect(await p.events.recent(other, { id })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(p.api.delete(u, 'events').ok).toBe(true);
  });

  it('forbids the same token to read Secrets elsewhere, delete Nodes, or create Pods outside its namespace', async () => {
    const core = saKc.makeApiClient(CoreV1Api);
    expect(await status(core.listNamespacedSecret({ namespace: 'kube-system' }))).toBe(403);
    expect(await status(core.readNamespacedSecret({ name: 'anything', namespace: 'default' }))).toBe(403);
    expect(await status(core.deleteNode({ name: 'dev-1' }))).toBe(403);
    expect(
      await status(
        core.createNamespacedPod({
          namespace: 'default',
          body: { metadata: { name: 'escape' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        }),
      ),
    ).toBe(403);
    // And within its namespace it has only what the Role grants: no deletecollection of Pods.
    expect(await status(core.deleteCollectionNamespacedPod({ namespace: ns.name }))).toBe(403);
  });

  it('cannot list Pods cluster-wide or in another namespace, yet counts capacity from its namespace and the reserve', async () => {
    const core = saKc.makeApiClient(CoreV1Api);
    expect(await status(core.listPodForAllNamespaces())).toBe(403);
    expect(await status(core.listNamespacedPod({ namespace: 'kube-system' }))).toBe(403);
    expect(await status(core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=dev-1' }))).toBe(403);

    // A Pod in TiSpace's namespace bound to dev-1 (as an instance or TiSpace itself would be).
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({
        namespace: ns.name,
        body: {
          metadata: { name: 'occupant' },
          spec: {
            nodeName: 'dev-1',
            tolerations: [{ operator: 'Exists' }],
            containers: [
              {
                name: 'c',
                image: 'x',
                resources: { requests: { cpu: '3', memory: '4Gi' }, limits: { cpu: '3', memory: '4Gi' } },
              },
            ],
          },
        },
      });
    const admin = linkUser(p, 'UROOT', 'root@corp.com');
    const dev1 = () => {
      const r = p.api.capacity(admin);
      if (!r.ok) throw new Error(r.error.message);
      return r.value.find((n) => n.node === 'dev-1');
    };
    // dev-1: 32 CPUs / 128 GiB allocatable, minus the occupant, minus devPool.reservedPerNode (1 CPU, 2 GiB).
    const counted = await waitFor(async () => (dev1()?.cpuMilli === 28_000 ? dev1() : undefined), {
      timeoutMs: 30_000,
      what: 'the occupant counted on dev-1',
    });
    expect(counted).toMatchObject({ cpuMilli: 28_000, memoryBytes: 122 * 1024 ** 3 });
    expect(p.reconciler.stats.errors).toBe(0);
  });
});
