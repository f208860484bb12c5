// The cluster assets (manifests/, ceph/, kata/) against a real kube-apiserver: every object is sent
// exactly as written (raw JSON, no typed client that would drop unknown fields) with server-side apply
// and fieldValidation=Strict, so the API server's own validation — built-in types, and the upstream Rook
// and snapshot CRD schemas the harness installs — must accept it, including every field name. Objects
// are dry-run (dryRun=All) unless noted, so the shared cluster is not polluted; broken copies prove the
// check can fail.
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../provisioner/config/load.ts';
import { kustomizeBuild } from '../tools/kustomize/kustomize.ts';
import { kubeConfig, repoRoot, useNamespace } from './support/cluster.ts';

type Obj = KubernetesObject & Record<string, unknown>;

const ns = useNamespace('assets');
const fieldManager = 'tispace-assets-test';

function parseYaml(text: string, source: string): Obj[] {
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length) throw new Error(`${source} document ${i}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Obj | null;
    return value ? [value] : [];
  });
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => path.join(dir, f))
    .sort();
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function describeObj(obj: KubernetesObject): string {
  return `${obj.kind}/${obj.metadata?.name}`;
}

// --- raw requests -------------------------------------------------------------------------------------

class ApiRejection extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 2000)}`);
  }
}

async function request(kc: KubeConfig, method: string, url: URL, contentType?: string, body?: string) {
  const options: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
  if (contentType) options.headers = { ...options.headers, 'Content-Type': contentType };
  await kc.applyToHTTPSOptions(options);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function server(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  return cluster.server;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}
const discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

/** Plural name and scope of a kind, from the API server's discovery (so CRDs are covered too). */
async function resourceOf(kc: KubeConfig, apiVersion: string, kind: string): Promise<ResourceInfo> {
  let kinds = discovery.get(apiVersion);
  if (!kinds) {
    kinds = (async () => {
      const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const res = await request(kc, 'GET', new URL(prefix, server(kc)));
      if (res.status !== 200) throw new ApiRejection(res.status, res.text, `discovery of ${apiVersion}`);
      const list = JSON.parse(res.text) as {
        resources: { name: string; kind: string; namespaced: boolean }[];
      };
      return new Map(
        list.resources
          .filter((r) => !r.name.includes('/'))
          .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
      );
    })();
    discovery.set(apiVersion, kinds);
  }
  const info = (await kinds).get(kind);
  if (!info) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
  return info;
}

interface ApplyOptions {
  /** Namespace for namespaced objects (the file's own namespace is replaced: it need not exist here). */
  namespace: string;
  dryRun: boolean;
}

/** Server-side apply of `obj` exactly as given, with strict field validation; returns the server's object. */
async function apply(obj: Obj, options: ApplyOptions): Promise<Obj> {
  const kc = kubeConfig();
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name)
    throw new Error(`incomplete object ${JSON.stringify(obj)}`);
  const { plural, namespaced } = await resourceOf(kc, obj.apiVersion, obj.kind);
  const body = clone(obj);
  if (namespaced) body.metadata = { ...body.metadata, namespace: options.namespace };
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const scope = namespaced ? `/namespaces/${encodeURIComponent(options.namespace)}` : '';
  const url = new URL(`${prefix}${scope}/${plural}/${encodeURIComponent(obj.metadata.name)}`, server(kc));
  url.searchParams.set('fieldManager', fieldManager);
  url.searchParams.set('force', 'true');
  url.searchParams.set('fieldValidation', 'Strict');
  if (options.dryRun) url.searchParams.set('dryRun', 'All');
  const res = await request(kc, 'PATCH', url, 'application/apply-patch+yaml', JSON.stringify(body));
  if (res.status < 200 || res.status >= 300)
    throw new ApiRejection(res.status, res.text, `apply ${describeObj(obj)}`);
  return JSON.parse(res.text) as Obj;
}

/** Create (POST) of `obj` as given, dry run, strict field validation: the API server's plain create path. */
async function createDryRun(obj: Obj, namespace: string): Promise<Obj> {
  const kc = kubeConfig();
  if (!obj.apiVersion || !obj.kind) throw new Error(`incomplete object ${JSON.stringify(obj)}`);
  const { plural, namespaced } = await resourceOf(kc, obj.apiVersion, obj.kind);
  const body = clone(obj);
  if (namespaced) body.metadata = { ...body.metadata, namespace };
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const scope = namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const url = new URL(`${prefix}${scope}/${plural}`, server(kc));
  url.searchParams.set('fieldManager', fieldManager);
  url.searchParams.set('fieldValidation', 'Strict');
  url.searchParams.set('dryRun', 'All');
  const res = await request(kc, 'POST', url, 'application/json', JSON.stringify(body));
  if (res.status < 200 || res.status >= 300)
    throw new ApiRejection(res.status, res.text, `create ${describeObj(obj)}`);
  return JSON.parse(res.text) as Obj;
}

/**
 * Sends a broken object both ways (server-side apply and create, dry run) and expects both to be
 * rejected with a message naming `field`; returns the create path's rejection.
 */
async function expectRejected(obj: Obj, field: RegExp): Promise<ApiRejection> {
  const applied = await rejection(apply(obj, { namespace: ns.name, dryRun: true }));
  expect(applied.status).toBeGreaterThanOrEqual(400);
  expect(applied.body).toMatch(field);
  const created = await rejection(createDryRun(obj, ns.name));
  expect(created.status).toBeGreaterThanOrEqual(400);
  expect(created.status).toBeLessThan(500);
  expect(created.body).toMatch(field);
  return created;
}

async function rejection(p: Promise<unknown>): Promise<ApiRejection> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiRejection) return err;
    throw err;
  }
  throw new Error('expected the API server to reject the object');
}

// --- the assets ----------------------------------------------------------------------------------------

let base: Obj[] = [];
let overlay: Obj[] = [];
const fileObjects = new Map<string, Obj[]>();

function find(objs: Obj[], kind: string, name?: string): Obj {
  const found = objs.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found)
    throw new Error(`no ${kind}${name ? `/${name}` : ''} among ${objs.map(describeObj).join(', ')}`);
  return found;
}

beforeAll(async () => {
  base = parseYaml(await kustomizeBuild(path.join(repoRoot, 'manifests', 'base')), 'manifests/base');
  overlay = parseYaml(
    await kustomizeBuild(path.join(repoRoot, 'manifests', 'overlays', 'example')),
    'manifests/overlays/example',
  );
  for (const file of [...yamlFilesUnder('ceph'), ...yamlFilesUnder('kata')]) {
    fileObjects.set(file, parseYaml(readFileSync(path.join(repoRoot, file), 'utf8'), file));
  }
}, 20 * 60_000); // the first run builds kustomize from the Go module proxy

describe('manifests/ (kustomize)', () => {
  it('base and example overlay build to the expected objects', () => {
    // Cluster-scoped kinds carry no namespace; every other object must be in TiSpace's.
    const CLUSTER_SCOPED = new Set([
      'Namespace',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const expected = [
      'Namespace/tispace',
      'ServiceAccount/tispace',
      'Role/tispace-provisioner',
      'RoleBinding/tispace-provisioner',
      'ClusterRole/tispace-capacity',
      'ClusterRoleBinding/tispace-capacity',
      'PersistentVolumeClaim/tispace-data',
      'ConfigMap/tispace-env',
      'Deployment/tispace',
      'Service/tispace',
      'NetworkPolicy/default-deny-ingress',
      'NetworkPolicy/instances',
      'NetworkPolicy/tispace',
    ];
    expect(base.map(describeObj)).toEqual(expect.arrayContaining(expected));
    expect(overlay.map(describeObj)).toEqual(expect.arrayContaining([...expected, 'Secret/tispace-secrets']));
    // The generated TISPACE_CONFIG ConfigMap has a content hash, and the Deployment mounts that name.
    const config = overlay.find(
      (o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('tispace-config-'),
    );
    expect(config).toBeDefined();
    const deployment = find(overlay, 'Deployment', 'tispace') as Obj & {
      spec: { template: { spec: { volumes: { name: string; configMap?: { name: string } }[] } } };
    };
    expect(deployment.spec.template.spec.volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(
      config?.metadata?.name,
    );
    for (const o of overlay) {
      if (!CLUSTER_SCOPED.has(o.kind ?? '') && !o.kind?.startsWith('Cluster'))
        expect(o.metadata?.namespace, describeObj(o)).toBe('tispace');
    }
  });

  it('the example TISPACE_CONFIG is accepted by the provisioner and names the golden snapshot in ceph/', () => {
    const config = overlay.find(
      (o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('tispace-config-'),
    ) as (Obj & { data: Record<string, string> }) | undefined;
    const text = config?.data['config.yaml'];
    expect(text).toBeDefined();
    const parsed = parseConfig(parseYaml(text ?? '', 'config.yaml')[0]);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const snapshots = [...fileObjects.values()].flat().filter((o) => o.kind === 'VolumeSnapshot');
    for (const image of parsed.value.images) {
      expect(snapshots.map((s) => s.metadata?.name)).toContain(image.snapshot);
    }
  });

  it('the API server accepts every object of the example overlay (strict, dry run)', async () => {
    for (const obj of overlay) await apply(obj, { namespace: ns.name, dryRun: true });
  });

  it('really creates the namespaced objects of the example overlay in a test namespace', async () => {
    const namespaced = overlay.filter((o) => o.metadata?.namespace);
    for (const obj of namespaced) {
      const created = await apply(obj, { namespace: ns.name, dryRun: false });
      expect(created.metadata?.uid, describeObj(obj)).toBeTruthy();
    }
    const role = find(overlay, 'Role', 'tispace-provisioner') as Obj & {
      rules: { verbs: string[]; resources: string[] }[];
    };
    for (const rule of role.rules) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
  });
});

describe('ceph/ and kata/', () => {
  it('has the expected objects', () => {
    const all = [...fileObjects.values()].flat().map(describeObj);
    expect(all).toEqual(
      expect.arrayContaining([
        'CephCluster/rook-ceph',
        'CephBlockPool/replicapool',
        'StorageClass/rook-ceph-block',
        'VolumeSnapshotClass/csi-rbdplugin-snapclass',
        'PersistentVolumeClaim/golden-ubuntu-22-04-src',
        'Job/golden-ubuntu-22-04',
        'VolumeSnapshot/golden-ubuntu-22-04',
        'RuntimeClass/kata',
      ]),
    );
  });

  it('the API server accepts every object of every YAML file (strict, dry run)', async () => {
    expect(fileObjects.size).toBeGreaterThanOrEqual(6);
    for (const [file, objs] of fileObjects) {
      expect(objs.length, file).toBeGreaterThan(0);
      for (const obj of objs) {
        await apply(obj, { namespace: ns.name, dryRun: true }).catch((err: Error) => {
          throw new Error(`${file}: ${err.message}`);
        });
      }
    }
  });
});

describe('the check can fail', () => {
  it('rejects a CephBlockPool whose replicated.size is "three"', async () => {
    const pool = clone(find([...fileObjects.values()].flat(), 'CephBlockPool')) as Obj & {
      spec: { replicated: { size: unknown } };
    };
    pool.spec.replicated.size = 'three';
    const err = await expectRejected(pool, /spec\.replicated\.size/);
    expect(err.status).toBe(422);
  });

  it('rejects a CephCluster field that does not exist (strict validation of CRD objects)', async () => {
    const cluster = clone(find([...fileObjects.values()].flat(), 'CephCluster')) as Obj & {
      spec: { mon: Record<string, unknown> };
    };
    cluster.spec.mon.cout = 3;
    await expectRejected(cluster, /spec\.mon\.cout/);
  });

  it('rejects a Deployment with an unknown field and one with an invalid value', async () => {
    const unknown = clone(find(overlay, 'Deployment', 'tispace')) as Obj & { spec: Record<string, unknown> };
    unknown.spec.replica = 1;
    await expectRejected(unknown, /spec\.replica\b/);

    const invalid = clone(find(overlay, 'Deployment', 'tispace')) as Obj & { spec: { replicas: number } };
    invalid.spec.replicas = -1;
    const err = await expectRejected(invalid, /spec\.replicas/);
    expect(err.status).toBe(422);
  });

  it('rejects a StorageClass that changes the parameters of the seeded rook-ceph-block', async () => {
    // StorageClass parameters are immutable: proves the dry run really ran against the existing object.
    const sc = clone(find([...fileObjects.values()].flat(), 'StorageClass', 'rook-ceph-block')) as Obj & {
      parameters: Record<string, string>;
    };
    sc.parameters.pool = 'some-other-pool';
    const err = await rejection(apply(sc, { namespace: ns.name, dryRun: true }));
    expect(err.status).toBe(422);
    expect(err.body).toMatch(/parameters/);
  });
});
