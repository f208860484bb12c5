// KubeConfigs of tests: one builder, and the one that points nowhere.
import { KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig for the API server at `server` (a fake, a proxy, a closed port); TLS is not verified. */
export function kubeConfigAt(server: string, o: { token?: string; namespace?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'test', ...(o.token ? { token: o.token } : {}) }],
    contexts: [
      { name: 'test', cluster: 'test', user: 'test', ...(o.namespace ? { namespace: o.namespace } : {}) },
    ],
    currentContext: 'test',
  });
  return kc;
}

/**
 * Points at a closed port: every Kubernetes call fails (a Provisioner built on it for its API alone is
 * never started, so nothing dials it).
 */
export const nowhereKubeConfig = (): KubeConfig => kubeConfigAt('https://127.0.0.1:9', { token: 'x' });
