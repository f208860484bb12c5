// Proves the integration harness is a real control plane: scheduling onto KWOK nodes, API-server-side CRD
// validation, the fake CSI's snapshot rules, RBAC enforcement and garbage collection.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  RbacAuthorizationV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeConfig, serviceAccountKubeConfig, useNamespace, waitFor } from './support/cluster.ts';

const ns = useNamespace('harness');

function core() {
  return kubeConfig().makeApiClient(CoreV1Api);
}

function custom() {
  return kubeConfig().makeApiClient(CustomObjectsApi);
}

function pod(name: string, cpu: string, memory: string): V1Pod {
  const resources = { cpu, memory };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns.name },
    spec: {
      runtimeClassName: 'kata',
      automountServiceAccountToken: false,
      nodeSelector: { 'tispace.io/pool': 'dev' },
      containers: [
        {
          name: 'main',
          image: 'registry.example/dev:1',
          resources: { requests: resources, limits: resources },
        },
      ],
    },
  };
}

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

async function rejection(p: Promise<unknown>): Promise<{ code: number | undefined; body: string }> {
  try {
    await p;
  } catch (err) {
    return {
      code: statusCode(err),
      body: String((err as { body?: unknown }).body ?? (err as Error).message),
    };
  }
  throw new Error('expected the API server to reject the request');
}

describe('local control plane', () => {
  it('schedules a Kata Pod onto a simulated dev node, where it becomes Running and Ready', async () => {
    await core().createNamespacedPod({ namespace: ns.name, body: pod('fits', '2', '4Gi') });
    const running = await waitFor(
      async () => {
        const p = await core().readNamespacedPod({ name: 'fits', namespace: ns.name });
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return p.status?.phase === 'Running' && ready ? p : undefined;
      },
      { timeoutMs: 30_000, what: 'Pod fits Running and Ready' },
    );
    expect(running.spec?.nodeName).toMatch(/^dev-[123]$/);
    // The RuntimeClass admission plugin added Kata's overhead and its node selector.
    expect(running.spec?.overhead).toEqual({ cpu: '250m', memory: '320Mi' });
    expect(running.spec?.nodeSelector).toMatchObject({ 'katacontainers.io/kata-runtime': 'true' });
    expect(running.status?.qosClass).toBe('Guaranteed');
  });

  it('leaves a Pod larger than any node Pending and Unschedulable', async () => {
    await core().createNamespacedPod({ namespace: ns.name, body: pod('too-big', '64', '4Gi') });
    const condition = await waitFor(
      async () => {
        const p = await core().readNamespacedPod({ name: 'too-big', namespace: ns.name });
        return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      },
      { timeoutMs: 30_000, what: 'PodScheduled=False on Pod too-big' },
    );
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toMatch(/Insufficient cpu/);
    const p = await core().readNamespacedPod({ name: 'too-big', namespace: ns.name });
    expect(p.status?.phase).toBe('Pending');
    expect(p.spec?.nodeName).toBeUndefined();
  });

  it("validates Rook objects with Rook's own CRD schema", async () => {
    const pool = (name: string, size: unknown) => ({
      apiVersion: 'ceph.rook.io/v1',
      kind: 'CephBlockPool',
      metadata: { name, namespace: ns.name },
      spec: { failureDomain: 'host', replicated: { size } },
    });
    const base = { group: 'ceph.rook.io', version: 'v1', namespace: ns.name, plural: 'cephblockpools' };
    const bad = await rejection(
      custom().createNamespacedCustomObject({ ...base, body: pool('bad', 'three') }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body).toMatch(/spec\.replicated\.size/);
    const negative = await rejection(
      custom().createNamespacedCustomObject({ ...base, body: pool('neg', -1) }),
    );
    expect(negative.code).toBe(422);
    const created = (await custom().createNamespacedCustomObject({
      ...base,
      body: pool('replicapool', 3),
    })) as KubernetesObject & { spec: { replicated: { size: number } } };
    expect(created.spec.replicated.size).toBe(3);
  });

  it('binds a PVC restored from a VolumeSnapshot only once the snapshot is ready', async () => {
    const pvc = (
      name: string,
      size: string,
      dataSource?: { apiGroup: string; kind: string; name: string },
    ) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns.name },
      spec: {
        storageClassName: 'rook-ceph-block',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: size } },
        ...(dataSource ? { dataSource } : {}),
      },
    });
    const phase = async (name: string) =>
      (await core().readNamespacedPersistentVolumeClaim({ name, namespace: ns.name })).status?.phase;

    await core().createNamespacedPersistentVolumeClaim({ namespace: ns.name, body: pvc('golden', '10Gi') });
    await waitFor(async () => ((await phase('golden')) === 'Bound' ? true : undefined), {
      timeoutMs: 30_000,
      what: 'PVC golden Bound',
    });
    const golden = await core().readNamespacedPersistentVolumeClaim({ name: 'golden', namespace: ns.name });
    const pv = await core().readPersistentVolume({ name: golden.spec?.volumeName ?? '' });
    expect(pv.spec?.csi?.driver).toBe('rook-ceph.rbd.csi.ceph.com');
    expect(pv.spec?.claimRef?.uid).toBe(golden.metadata?.uid);

    const snapshots = {
      group: 'snapshot.storage.k8s.io',
      version: 'v1',
      namespace: ns.name,
      plural: 'volumesnapshots',
    };
    await custom().createNamespacedCustomObject({
      ...snapshots,
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: 'golden-snap', namespace: ns.name, annotations: { 'tispace.test/hold': 'true' } },
        spec: {
          volumeSnapshotClassName: 'csi-rbdplugin-snapclass',
          source: { persistentVolumeClaimName: 'golden' },
        },
      },
    });
    const source = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'golden-snap' };
    await core().createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: pvc('clone', '20Gi', source),
    });

    // Held: the snapshot is not ready, so the restore stays Pending and says why.
    const warning = await waitFor(
      async () => {
        const events = await core().listNamespacedEvent({
          namespace: ns.name,
          fieldSelector: 'involvedObject.name=clone,involvedObject.kind=PersistentVolumeClaim',
        });
        return events.items.find((e) => e.reason === 'ProvisioningFailed');
      },
      { timeoutMs: 30_000, what: 'ProvisioningFailed event on PVC clone' },
    );
    expect(warning.message).toMatch(/golden-snap is not Ready/);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await phase('clone')).toBe('Pending');
    const held = (await custom().getNamespacedCustomObject({ ...snapshots, name: 'golden-snap' })) as {
      status?: { readyToUse?: boolean };
    };
    expect(held.status?.readyToUse).toBe(false);

    // Released: the snapshot becomes ready and the restore binds.
    await custom().patchNamespacedCustomObject({
      ...snapshots,
      name: 'golden-snap',
      body: [{ op: 'remove', path: '/metadata/annotations/tispace.test~1hold' }],
    });
    const ready = await waitFor(
      async () => {
        const s = (await custom().getNamespacedCustomObject({ ...snapshots, name: 'golden-snap' })) as {
          status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; restoreSize?: string };
        };
        return s.status?.readyToUse ? s.status : undefined;
      },
      { timeoutMs: 30_000, what: 'VolumeSnapshot golden-snap readyToUse' },
    );
    expect(ready.boundVolumeSnapshotContentName).toBeTruthy();
    expect(String(ready.restoreSize)).toBe(String(10 * 2 ** 30));
    await waitFor(async () => ((await phase('clone')) === 'Bound' ? true : undefined), {
      timeoutMs: 30_000,
      what: 'PVC clone Bound',
    });

    // Reclaim policy Delete: deleting the claim deletes its volume.
    const cloneVolume = (
      await core().readNamespacedPersistentVolumeClaim({ name: 'clone', namespace: ns.name })
    ).spec?.volumeName;
    await core().deleteNamespacedPersistentVolumeClaim({ name: 'clone', namespace: ns.name });
    await waitFor(
      async () => {
        try {
          await core().readPersistentVolume({ name: cloneVolume ?? '' });
          return undefined;
        } catch (err) {
          if (statusCode(err) === 404) return true;
          throw err;
        }
      },
      { timeoutMs: 30_000, what: `PV ${cloneVolume} deleted` },
    );
  });

  it('enforces RBAC: a namespaced Role grants nothing outside its namespace', async () => {
    const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await core().createNamespacedServiceAccount({
      namespace: ns.name,
      body: { metadata: { name: 'limited' } },
    });
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: 'configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'limited-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: ns.name }],
      },
    });
    const limited = (await serviceAccountKubeConfig(ns.name, 'limited')).makeApiClient(CoreV1Api);
    await limited.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'mine' } } });
    const own = await limited.listNamespacedConfigMap({ namespace: ns.name });
    expect(own.items.map((c) => c.metadata?.name)).toContain('mine');

    const elsewhere = await rejection(limited.listNamespacedConfigMap({ namespace: 'kube-system' }));
    expect(elsewhere.code).toBe(403);
    expect(elsewhere.body).toMatch(/system:serviceaccount:[^:]+:limited/);
    expect((await rejection(limited.listNamespacedSecret({ namespace: ns.name }))).code).toBe(403);
    expect((await rejection(limited.listNode())).code).toBe(403);
  });

  it('garbage-collects dependents of a deleted owner', async () => {
    const owner = await core().createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    await core().createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core().deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
    await waitFor(
      async () => {
        try {
          await core().readNamespacedConfigMap({ name: 'dependent', namespace: ns.name });
          return undefined;
        } catch (err) {
          if (statusCode(err) === 404) return true;
          throw err;
        }
      },
      { timeoutMs: 60_000, what: 'ConfigMap dependent garbage-collected' },
    );
  });
});
