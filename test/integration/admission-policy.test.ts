// manifests/base/admission-policy.yaml on the real API server (issue 14, item 9b): in TiSpace's namespace
// a privileged Pod is refused unless it runs under the Kata RuntimeClass, with the policy's message;
// under it, it is admitted; non-privileged Pods and other namespaces are unaffected.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  NodeV1Api,
  type V1Container,
  type V1Pod,
  type V1ValidatingAdmissionPolicy,
  type V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubeConfig, repoRoot, useNamespace, waitFor } from './support/cluster.ts';

const ns = useNamespace('it-vap');
const other = useNamespace('it-vap-other');
const core = () => kubeConfig().makeApiClient(CoreV1Api);
const admission = () => kubeConfig().makeApiClient(AdmissionregistrationV1Api);

/** The shipped policy and binding, renamed for this run and bound to this test's namespace. */
function shipped(): { policy: V1ValidatingAdmissionPolicy; binding: V1ValidatingAdmissionPolicyBinding } {
  const docs = parseAllDocuments(
    readFileSync(path.join(repoRoot, 'manifests', 'base', 'admission-policy.yaml'), 'utf8'),
  ).map((d) => d.toJS());
  const policy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy') as V1ValidatingAdmissionPolicy;
  const binding = docs.find(
    (d) => d.kind === 'ValidatingAdmissionPolicyBinding',
  ) as V1ValidatingAdmissionPolicyBinding;
  expect(binding.spec?.matchResources?.namespaceSelector?.matchLabels).toEqual({
    'kubernetes.io/metadata.name': 'tispace',
  });
  const name = `${policy.metadata!.name}-${ns.name}`;
  policy.metadata!.name = name;
  binding.metadata!.name = name;
  binding.spec!.policyName = name;
  binding.spec!.matchResources!.namespaceSelector!.matchLabels = { 'kubernetes.io/metadata.name': ns.name };
  return { policy, binding };
}

const created: { policy?: string; binding?: string } = {};
/** A RuntimeClass that exists but is not TiSpace's Kata class. */
const runcClass = () => `${ns.name}-runc`;
beforeAll(async () => {
  await kubeConfig()
    .makeApiClient(NodeV1Api)
    .createRuntimeClass({ body: { metadata: { name: runcClass() }, handler: 'runc' } });
  const { policy, binding } = shipped();
  await admission().createValidatingAdmissionPolicy({ body: policy });
  created.policy = policy.metadata!.name;
  await admission().createValidatingAdmissionPolicyBinding({ body: binding });
  created.binding = binding.metadata!.name;
});
afterAll(async () => {
  await kubeConfig()
    .makeApiClient(NodeV1Api)
    .deleteRuntimeClass({ name: runcClass() })
    .catch(() => {});
  if (created.binding)
    await admission()
      .deleteValidatingAdmissionPolicyBinding({ name: created.binding })
      .catch(() => {});
  if (created.policy)
    await admission()
      .deleteValidatingAdmissionPolicy({ name: created.policy })
      .catch(() => {});
});

const container = (name: string, privileged: boolean): V1Container => ({
  name,
  image: 'registry.invalid/x',
  ...(privileged ? { securityContext: { privileged: true } } : {}),
});

/** A Pod that stays Pending (no node matches), so admission is all that is tested. */
function pod(name: string, o: { privileged?: 'container' | 'init'; runtimeClassName?: string }): V1Pod {
  return {
    metadata: { name },
    spec: {
      nodeSelector: { 'tispace.test/nowhere': 'true' },
      ...(o.runtimeClassName ? { runtimeClassName: o.runtimeClassName } : {}),
      ...(o.privileged === 'init' ? { initContainers: [container('init', true)] } : {}),
      containers: [container('main', o.privileged === 'container')],
    },
  };
}

/** The API server's answer to creating `body` in `namespace`: 201, or the status code and message. */
async function create(
  namespace: string,
  body: V1Pod,
  dryRun = false,
): Promise<{ code: number; message?: string }> {
  try {
    await core().createNamespacedPod({ namespace, body, ...(dryRun ? { dryRun: 'All' } : {}) });
    return { code: 201 };
  } catch (error) {
    const e = error as { code?: number; body?: string };
    const status = JSON.parse(e.body ?? '{}') as { message?: string };
    return { code: e.code ?? 0, message: status.message ?? String(error) };
  }
}

const refusal = (namespace: string, has: string) =>
  `privileged Pods in namespace ${namespace} must run under RuntimeClass kata (a Kata VM); this Pod has ${has}`;

describe('ValidatingAdmissionPolicy: privileged Pods only in Kata', () => {
  beforeAll(async () => {
    // The API server loads a new policy and binding asynchronously: wait until it refuses (dry run).
    await waitFor(
      async () =>
        (await create(ns.name, pod('probe', { privileged: 'container' }), true)).code === 403
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'the policy in force' },
    );
  });

  it('refuses a privileged Pod without the Kata RuntimeClass, with the policy message', async () => {
    const r = await create(ns.name, pod('no-class', { privileged: 'container' }));
    expect(r.code).toBe(403);
    expect(r.message).toContain(refusal(ns.name, 'no runtimeClassName'));
  });

  it('refuses a privileged init container, and a privileged Pod under another RuntimeClass', async () => {
    const init = await create(ns.name, pod('init', { privileged: 'init' }));
    expect(init.code).toBe(403);
    expect(init.message).toContain(refusal(ns.name, 'no runtimeClassName'));
    const runc = await create(
      ns.name,
      pod('runc', { privileged: 'container', runtimeClassName: runcClass() }),
    );
    expect(runc.code).toBe(403);
    expect(runc.message).toContain(refusal(ns.name, `runtimeClassName ${runcClass()}`));
  });

  it('admits a privileged Pod under the Kata RuntimeClass', async () => {
    expect(await create(ns.name, pod('kata', { privileged: 'container', runtimeClassName: 'kata' }))).toEqual(
      {
        code: 201,
      },
    );
  });

  it('leaves non-privileged Pods and other namespaces alone', async () => {
    expect(await create(ns.name, pod('plain', {}))).toEqual({ code: 201 });
    expect(await create(other.name, pod('elsewhere', { privileged: 'container' }))).toEqual({ code: 201 });
  });

  it('refuses a privileged ephemeral container added to a Pod outside Kata (kubectl debug)', async () => {
    const target = await core().readNamespacedPod({ name: 'plain', namespace: ns.name });
    target.spec!.ephemeralContainers = [
      { name: 'debug', image: 'registry.invalid/x', securityContext: { privileged: true } },
    ];
    let message = '';
    try {
      await core().replaceNamespacedPodEphemeralcontainers({
        name: 'plain',
        namespace: ns.name,
        body: target,
      });
    } catch (error) {
      message = JSON.parse((error as { body?: string }).body ?? '{}').message ?? String(error);
    }
    expect(message).toContain(refusal(ns.name, 'no runtimeClassName'));
  });
});
