// What the provisioner holds and how it talks to the API server, against the real control plane: its
// informer caches keep stripped objects (no managedFields, no last-applied annotation, no Secret values)
// while it still drives an instance to running, and its API calls share keep-alive TLS connections.
import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesListObject,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubeActions } from '../../provisioner/kube/actions.ts';
import { stripPod, stripSnapshot } from '../../provisioner/kube/strip.ts';
import { listStripped } from '../../provisioner/kube/stripped-list-watch.ts';
import type { VolumeSnapshot } from '../../provisioner/kube/types.ts';
import { namespaceConfig } from '../support/config.ts';
import { kubeConfig, waitFor } from './support/cluster.ts';
import {
  createVolumeSnapshot,
  labelledObjects,
  linkUser,
  useProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const t = useProvisioner('it-caches', (namespace) => ({ config: namespaceConfig(namespace) }));
const ns = t.ns;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
let id: string;

beforeAll(async () => {
  const ana = linkUser(t.p, 'UANA', 'ana@corp.com');
  const created = await t.p.api.create(ana, { name: 'cache', cpu: 1, memoryGiB: 2 });
  if (!created.ok) throw new Error(created.error.message);
  id = created.value.id;
});

/** Applies `object` the way `kubectl apply --server-side` would, last-applied annotation included. */
async function kubectlApply(object: KubernetesObject): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig());
  const annotated = {
    ...object,
    metadata: { ...object.metadata, annotations: { [LAST_APPLIED]: JSON.stringify(object) } },
  };
  await api.patch(annotated, undefined, undefined, 'kubectl', true, PatchStrategy.ServerSideApply);
}

describe('informer caches', () => {
  it('hold no managedFields, last-applied annotation or Secret values, and the instance still runs', async () => {
    // Someone else's Pod in the namespace (left Pending: it asks for a node that does not exist, so it
    // takes no capacity) and a Secret carrying TiSpace's label, both applied like kubectl does.
    await kubectlApply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'foreign', namespace: ns.name, labels: { app: 'foreign' } },
      spec: {
        nodeSelector: { 'tispace.test/nowhere': 'true' },
        containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '10m', memory: '1Mi' } } }],
      },
    } as KubernetesObject);
    await kubectlApply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'stray-ssh',
        namespace: ns.name,
        labels: { 'app.kubernetes.io/managed-by': 'tispace', 'tispace.io/instance': 'stray' },
      },
      data: { authorized_keys: Buffer.from('ssh-ed25519 AAAA x\n').toString('base64'), token: 'c2VjcmV0' },
    } as KubernetesObject);

    const running = await waitForInstance(
      t.p,
      id,
      (i) => i.phase === 'running' && i.sshPort !== null,
      'running with SSH',
    );
    expect(running.node).toBeTruthy();
    await waitFor(async () => (t.p.world.pods.get('foreign', ns.name) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the foreign Pod in the cache',
    });
    await waitFor(async () => (t.p.world.secrets.get('stray-ssh', ns.name) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the stray Secret in the cache',
    });

    // The API server does record managedFields on every one of them (so their absence below means
    // something), and the last-applied annotation on what kubectl applied.
    const server = await labelledObjects(ns.name, id);
    for (const o of [...server.pods, ...server.pvcs, ...server.services, ...server.secrets])
      expect(o.metadata?.managedFields?.length).toBeGreaterThan(0);
    const foreign = await kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: 'foreign', namespace: ns.name });
    expect(foreign.metadata?.annotations?.[LAST_APPLIED]).toBeDefined();
    expect(foreign.metadata?.managedFields?.length).toBeGreaterThan(0);

    const caches: Record<string, readonly KubernetesObject[]> = {
      pods: t.p.world.pods.list(),
      nodes: t.p.world.nodes.list(),
      pvcs: t.p.world.pvcs.list(),
      services: t.p.world.services.list(),
      secrets: t.p.world.secrets.list(),
      snapshots: t.p.world.snapshots.list(),
    };
    for (const [kind, objects] of Object.entries(caches)) {
      expect(objects.length, kind).toBeGreaterThan(0);
      for (const o of objects) {
        const what = `${kind} ${o.metadata?.namespace}/${o.metadata?.name}`;
        expect(o.metadata?.managedFields, what).toBeUndefined();
        expect(o.metadata?.annotations, what).toBeUndefined();
        expect(o.metadata?.resourceVersion, what).toBeTruthy();
      }
      expect(JSON.stringify(objects)).not.toContain(LAST_APPLIED);
    }
    for (const s of t.p.world.secrets.list()) expect(Object.keys(s.data ?? {})).toEqual(['authorized_keys']);
    expect(JSON.stringify(caches.secrets)).not.toContain('c2VjcmV0');
    // Someone else's Pod: only what capacity counts. The instance's Pod: what the reconciler reports from.
    expect(t.p.world.pods.get('foreign', ns.name)).toEqual({
      metadata: expect.objectContaining({ name: 'foreign', namespace: ns.name, uid: foreign.metadata?.uid }),
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: '10m', memory: '1Mi' } } }] },
      status: { phase: 'Pending' },
    });
    const pod = t.p.world.pods.get(id, ns.name);
    expect(pod?.spec?.nodeName).toBe(running.node);
    expect(pod?.spec?.overhead).toEqual({ cpu: '250m', memory: '320Mi' });
    expect(pod?.status?.conditions?.map((c) => c.type).sort()).toEqual(['PodScheduled', 'Ready']);
  });
  it('lists in pages (typed and custom-object lists), the same objects as one whole list', async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'second' },
        spec: { nodeSelector: { x: 'y' }, containers: [{ name: 'c', image: 'x' }] },
      },
    });
    const names = (l: KubernetesListObject<KubernetesObject>) => l.items.map((o) => o.metadata?.name).sort();
    let pages = 0;
    const pods = await listStripped(
      (page) => {
        pages++;
        return core.listNamespacedPod({ namespace: ns.name, ...page });
      },
      stripPod,
      1,
    );
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(names(pods)).toEqual(names(await core.listNamespacedPod({ namespace: ns.name })));
    expect(Number(pods.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(JSON.stringify(pods)).not.toContain('managedFields');

    await createVolumeSnapshot(ns.name, 'second', 'x');
    pages = 0;
    const snapshotList = (extra: object) =>
      custom.listNamespacedCustomObject({
        group: 'snapshot.storage.k8s.io',
        version: 'v1',
        namespace: ns.name,
        plural: 'volumesnapshots',
        ...extra,
      }) as Promise<KubernetesListObject<VolumeSnapshot>>;
    const snapshots = await listStripped(
      (page) => {
        pages++;
        return snapshotList(page);
      },
      stripSnapshot,
      1,
    );
    const whole = await snapshotList({});
    expect(whole.items.length).toBeGreaterThanOrEqual(2);
    expect(names(snapshots)).toEqual(names(whole));
    expect(pages).toBeGreaterThanOrEqual(whole.items.length);
    expect(JSON.stringify(snapshots)).not.toContain('managedFields');
  });
});

/**
 * Requests whose path contains `marker`, seen through Node's own instrumentation (independent of how the
 * agent is built): how many got a response, how many of those went out on a new connection rather than
 * a reused one, and the distinct local ports they used.
 */
function connectionsOf(marker: string) {
  const seen = { responses: 0, opened: 0, ports: new Set<number>() };
  const onResponse = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (!request.path.includes(marker)) return;
    seen.responses++;
    if (!request.reusedSocket) seen.opened++;
    if (request.socket?.localPort) seen.ports.add(request.socket.localPort);
  };
  dc.subscribe('http.client.response.finish', onResponse);
  return {
    seen,
    stop: () => {
      dc.unsubscribe('http.client.response.finish', onResponse);
      return seen;
    },
  };
}

describe('API connections', () => {
  const N = 20;
  const secretRef = () => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${id}-ssh`, namespace: ns.name },
  });

  it('N sequential calls by the provisioner share one connection; a plain KubeConfig opens N', async () => {
    await waitForInstance(t.p, id, (i) => i.phase === 'running', 'running');
    await t.p.kube.read(secretRef()); // resource discovery, once

    // What client-node does on its own: a new TLS connection per request (what the pooled check below
    // would see without the pool).
    const unpooled = kubeActions(kubeConfig());
    await unpooled.read(secretRef());
    const plain = connectionsOf(`${id}-ssh`);
    for (let i = 0; i < N; i++) await unpooled.read(secretRef());
    expect(plain.stop()).toMatchObject({ responses: N, opened: N });
    expect(plain.seen.ports.size).toBeGreaterThan(N / 2);

    const pooled = connectionsOf(`${id}-ssh`);
    for (let i = 0; i < N; i++) await t.p.kube.read(secretRef());
    expect(pooled.stop().responses).toBe(N);
    // None, or one or two if a reconcile pass held the idle connection at that moment.
    expect(pooled.seen.opened).toBeLessThanOrEqual(2);
    expect(pooled.seen.ports.size).toBeLessThanOrEqual(2);

    // Other clients the provisioner builds use the same pool (adopt lists PVCs and Pods).
    const adopt = connectionsOf(`/namespaces/${ns.name}/`);
    for (let i = 0; i < 5; i++) await t.p.adopt();
    expect(adopt.stop().responses).toBeGreaterThanOrEqual(10);
    expect(adopt.seen.opened).toBeLessThanOrEqual(3);
  });

  it('an aborted watch does not poison the pool', async () => {
    const events: string[] = [];
    let done = 0;
    const watch = new Watch(t.p.kubeConfig);
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns.name}/secrets`,
      {},
      (type, object) => events.push(`${type} ${object.metadata?.name}`),
      () => done++,
    );
    await waitFor(async () => (events.length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'watch events',
    });
    controller.abort();
    await waitFor(async () => (done > 0 ? true : undefined), { timeoutMs: 10_000, what: 'watch done' });

    const after = connectionsOf(`${id}-ssh`);
    for (let i = 0; i < N; i++) await t.p.kube.read(secretRef());
    expect(after.stop().responses).toBe(N);
    expect(after.seen.opened).toBeLessThanOrEqual(2);
    expect(after.seen.ports.size).toBeLessThanOrEqual(2);
  });
});
