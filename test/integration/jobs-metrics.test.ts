// The metrics activity source against the real API server, which has no metrics.k8s.io registered (no
// metrics-server in the local control plane): one list per pass, and what the API server answers — 404 for
// an unknown group, 403 before that without RBAC — is "unavailable" for every instance, never idle.
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetricsActivitySource } from '../../provisioner/jobs/activity.ts';
import type { ActivityTarget } from '../../provisioner/jobs/activity-signals.ts';
import { kubeConfig, serviceAccountKubeConfig, useNamespace } from './support/cluster.ts';

const ns = useNamespace('jobs-metrics');

const targets: ActivityTarget[] = ['alpha-bcdfg', 'beta-bcdfg', 'gamma-bcdfg'].map((id) => ({
  id,
  name: id.slice(0, -6),
  ownerId: 'U1',
  cpu: 2,
  node: null,
  sshHost: null,
  sshPort: null,
}));

/** A copy of `kc` that records the path of every request its API clients make. */
function recording(kc: KubeConfig): { kc: KubeConfig; paths: string[] } {
  const copy = new KubeConfig();
  copy.loadFromString(kc.exportConfig());
  const paths: string[] = [];
  const auth = copy.applySecurityAuthentication.bind(copy);
  copy.applySecurityAuthentication = async (context) => {
    paths.push(new URL((context as unknown as { getUrl(): string }).getUrl()).pathname);
    return auth(context);
  };
  return { kc: copy, paths };
}

const reasons = async (kc: KubeConfig) => {
  const source = new MetricsActivitySource({ kubeConfig: kc, namespace: ns.name });
  const samples = await source.sampleAll(targets, new Date());
  return targets.map((t) => {
    const cpu = samples.get(t.id)?.cpu;
    return cpu?.available ? 'available' : cpu?.reason;
  });
};

let listOnly: KubeConfig;
let getOnly: KubeConfig;
beforeAll(async () => {
  const admin = kubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  for (const [name, verbs] of [
    ['metrics-list', ['get', 'list']],
    ['metrics-get', ['get']],
  ] as const) {
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name } } });
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name },
        rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: [...verbs] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns.name }],
      },
    });
  }
  listOnly = await serviceAccountKubeConfig(ns.name, 'metrics-list');
  getOnly = await serviceAccountKubeConfig(ns.name, 'metrics-get');
});

describe('metrics activity source on a real API server without metrics.k8s.io', () => {
  it('asks once per pass and reports the missing API (404) as unavailable for every instance', async () => {
    const { kc, paths } = recording(kubeConfig());
    expect(await reasons(kc)).toEqual(
      Array(3).fill('no CPU samples: metrics API missing (metrics.k8s.io not registered)'),
    );
    expect(paths).toEqual([`/apis/metrics.k8s.io/v1beta1/namespaces/${ns.name}/pods`]);
    // As the provisioner's ServiceAccount (RBAC of manifests/base/rbac.yaml: get, list): the same 404.
    expect(await reasons(listOnly)).toEqual(
      Array(3).fill('no CPU samples: metrics API missing (metrics.k8s.io not registered)'),
    );
  });

  it('reports a refused list (403: RBAC without `list`) as unavailable for every instance', async () => {
    expect(await reasons(getOnly)).toEqual(
      Array(3).fill('no CPU samples: not allowed to list pods.metrics.k8s.io'),
    );
  });
});
