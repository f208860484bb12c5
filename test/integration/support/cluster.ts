// Helpers for integration tests against the local control plane started by test/cluster/global-setup.ts.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { repoRoot } from '../../cluster/paths.ts';

export { repoRoot };

/** Absolute path of the admin kubeconfig (system:masters) provided by the global setup. */
export function kubeconfigPath(): string {
  const path = inject('kubeconfig');
  if (!path) throw new Error('no kubeconfig provided: run with `vitest --project integration`');
  return path;
}

let cached: KubeConfig | undefined;

/** Admin KubeConfig of the local control plane. */
export function kubeConfig(): KubeConfig {
  if (!cached) {
    cached = new KubeConfig();
    cached.loadFromFile(kubeconfigPath());
  }
  return cached;
}

export interface WaitOptions {
  timeoutMs: number;
  /** What is being waited for; named in the timeout error. */
  what: string;
  intervalMs?: number;
}

/**
 * Polls `fn` until it returns something other than undefined (test code only: production code watches).
 * Errors thrown by `fn` are retried and the last one is reported on timeout.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError
        ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`
        : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${suffix}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/**
 * A fresh namespace `<prefix>-<random>` for the calling test file: created (Pod Security `privileged`) in
 * beforeAll once its `default` ServiceAccount exists, deleted in afterAll (waiting up to 60 s until gone).
 */
export function useNamespace(prefix: string): { name: string } {
  const ns = { name: `${prefix}-${randomBytes(3).toString('hex')}` };
  beforeAll(async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({
      body: {
        metadata: {
          name: ns.name,
          labels: { 'pod-security.kubernetes.io/enforce': 'privileged', 'tispace.test/namespace': 'true' },
        },
      },
    });
    // The ServiceAccount admission plugin rejects Pods until the controller created `default`.
    await waitFor(
      async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: ns.name });
        return true;
      },
      { timeoutMs: 30_000, what: `ServiceAccount default in namespace ${ns.name}` },
    );
  });
  afterAll(async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    try {
      // Without this the namespace controller waits out the Pods' grace period before finishing.
      await core.deleteCollectionNamespacedPod({ namespace: ns.name, gracePeriodSeconds: 0 });
      await core.deleteNamespace({ name: ns.name });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        await core.readNamespace({ name: ns.name });
      } catch (err) {
        if (isNotFound(err)) return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 90_000);
  return ns;
}

/**
 * A KubeConfig authenticating as ServiceAccount `saName` of `namespace` with a token from the TokenRequest
 * API (1 h), against the same API server and CA as the admin config. The ServiceAccount must exist.
 */
export async function serviceAccountKubeConfig(namespace: string, saName: string): Promise<KubeConfig> {
  const admin = kubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: saName,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${saName} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const user = `system:serviceaccount:${namespace}:${saName}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'local' }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'local', user }],
    currentContext: user,
  });
  return kc;
}
