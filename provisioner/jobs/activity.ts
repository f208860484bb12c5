import { CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { isManagedInstanceObject } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import { parseQuantity } from '../domain/quantity.ts';
import type { StoredInstance } from '../store/instances-repo.ts';

// Activity signals for idle detection. An unavailable signal never counts as idle.

export type CpuSignal = { available: true; percent: number } | { available: false; reason: string };

export type SshSignal =
  | {
      available: true;
      /** Open SSH sessions right now. */
      activeSessions: number;
      /** When the last session ended or was last seen (ISO), null if none was ever seen. */
      lastSessionAt: string | null;
    }
  | { available: false; reason: string };

export interface ActivitySample {
  /** CPU use as a percent of the instance's CPUs (100 = all of them busy). */
  cpu: CpuSignal;
  ssh: SshSignal;
}

/** Where idle detection learns whether an instance is in use. */
export interface ActivitySource {
  sample(instance: StoredInstance): Promise<ActivitySample>;
}

/** The optional SSH-sessions signal (e.g. from sshd inside the VM); none exists by default. */
export interface SshSessionSource {
  sessions(instance: StoredInstance): Promise<SshSignal>;
}

export const noSshSessions: SshSessionSource = {
  sessions: async () => ({ available: false, reason: 'no SSH session source configured' }),
};

/** Knows nothing: every instance looks in use (idle detection is off). */
export const unavailableActivity: ActivitySource = {
  sample: async () => ({
    cpu: { available: false, reason: 'no activity source configured' },
    ssh: { available: false, reason: 'no SSH session source configured' },
  }),
};

/** PodMetrics of metrics.k8s.io/v1beta1 (what metrics-server serves). */
export interface PodMetrics {
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

/** Summed container CPU usage as a percent of `cpus`; undefined if the metrics hold no usable sample. */
export function cpuPercent(metrics: PodMetrics, cpus: number): number | undefined {
  const usages = (metrics.containers ?? []).map((c) => c.usage?.cpu).filter((u) => u !== undefined);
  if (usages.length === 0 || cpus <= 0) return undefined;
  let cores = 0;
  for (const u of usages) {
    try {
      cores += parseQuantity(u);
    } catch {
      return undefined;
    }
  }
  return (cores / cpus) * 100;
}

export interface MetricsActivityOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /**
   * The Pod cache: only Pods carrying TiSpace's labels for that instance are sampled. Without it the Pod
   * is named by the deterministic instance name alone.
   */
  pods?: { get(name: string, namespace?: string): V1Pod | undefined };
  ssh?: SshSessionSource;
}

/**
 * CPU from the resource metrics API (GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/{pod}):
 * container usage against the instance's CPUs. A missing API, an error or no sample is "unavailable".
 */
export class MetricsActivitySource implements ActivitySource {
  readonly #custom: CustomObjectsApi;
  constructor(private readonly options: MetricsActivityOptions) {
    this.#custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async sample(instance: StoredInstance): Promise<ActivitySample> {
    const [cpu, ssh] = await Promise.all([this.#cpu(instance), this.#ssh(instance)]);
    return { cpu, ssh };
  }

  async #cpu(instance: StoredInstance): Promise<CpuSignal> {
    const { namespace, pods } = this.options;
    const name = objectNames(instance.id).pod;
    if (pods) {
      const pod = pods.get(name, namespace);
      if (!pod) return { available: false, reason: 'no Pod' };
      if (!isManagedInstanceObject(pod, instance.id))
        return { available: false, reason: `Pod ${name} is not TiSpace's` };
    }
    let metrics: PodMetrics;
    try {
      metrics = (await this.#custom.getNamespacedCustomObject({
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        namespace,
        plural: 'pods',
        name,
      })) as PodMetrics;
    } catch (error) {
      const code = (error as { code?: number }).code;
      return {
        available: false,
        reason:
          code === 404
            ? 'no CPU sample (metrics API missing or Pod not sampled yet)'
            : `metrics API error: ${(error as Error).message ?? String(error)}`.slice(0, 200),
      };
    }
    const percent = cpuPercent(metrics, instance.cpu);
    return percent === undefined
      ? { available: false, reason: 'no CPU sample' }
      : { available: true, percent };
  }

  async #ssh(instance: StoredInstance): Promise<SshSignal> {
    try {
      return await (this.options.ssh ?? noSshSessions).sessions(instance);
    } catch (error) {
      return { available: false, reason: `SSH session source failed: ${(error as Error).message}` };
    }
  }
}
