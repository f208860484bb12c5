import { CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { isManagedInstanceObject, MANAGED_SELECTOR } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import { kubeStatusMessage } from '../kube/errors.ts';
import type {
  ActivitySample,
  ActivitySource,
  ActivityTarget,
  CpuSignal,
  SshSessionSource,
  SshSignal,
} from './activity-signals.ts';
import { byPodName, cpuSignal, type PodMetrics, type PodMetricsList } from './pod-metrics.ts';

// The activity sources of idle detection: none, or CPU from the resource metrics API (+ an optional SSH
// signal). An unavailable signal never counts as idle.

const NO_SSH: SshSignal = { available: false, reason: 'no SSH session source configured' };

export const noSshSessions: SshSessionSource = { sessions: async () => NO_SSH };

/** Knows nothing: every instance looks in use (idle detection is off). */
export const unavailableActivity: ActivitySource = {
  sampleAll: async (instances) => {
    const sample: ActivitySample = {
      cpu: { available: false, reason: 'no activity source configured' },
      ssh: NO_SSH,
    };
    return new Map(instances.map((i) => [i.id, sample]));
  },
};

export interface MetricsActivityOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /**
   * The Pod cache: only Pods carrying TiSpace's labels for that instance are sampled. Without it the Pod
   * is named by the deterministic instance name alone.
   */
  pods?: { get(name: string, namespace?: string): V1Pod | undefined };
  ssh?: SshSessionSource;
  /**
   * A CPU sample older than this is stale, i.e. unavailable: metrics-server no longer scrapes the Pod
   * (default 5 min; it scrapes every 15–60 s).
   */
  maxSampleAgeMs?: number;
  /** How long the list may take before this pass counts every instance as unavailable (default 30 s). */
  timeoutMs?: number;
}

type Listed = { ok: true; pods: Map<string, PodMetrics> } | { ok: false; reason: string };

/**
 * CPU from the resource metrics API: ONE list per pass (GET
 * /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods?labelSelector=<TiSpace's>), matched to instances by
 * Pod name, container usage against the instance's CPUs. A missing API (404), a refusal (403), an error, a
 * Pod absent from the list or a stale sample is "unavailable".
 */
export class MetricsActivitySource implements ActivitySource {
  readonly #custom: CustomObjectsApi;
  constructor(private readonly options: MetricsActivityOptions) {
    this.#custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async sampleAll(
    instances: readonly ActivityTarget[],
    now: Date,
  ): Promise<ReadonlyMap<string, ActivitySample>> {
    const samples = new Map<string, ActivitySample>();
    if (instances.length === 0) return samples;
    const [listed, ssh] = await Promise.all([this.#list(), this.#ssh(instances)]);
    const maxAgeMs = this.options.maxSampleAgeMs ?? 300_000;
    instances.forEach((instance, n) => {
      samples.set(instance.id, { cpu: this.#cpu(instance, listed, now, maxAgeMs), ssh: ssh[n] ?? NO_SSH });
    });
    return samples;
  }

  /**
   * Whether the metrics API answers at all (one list): at start-up, so an operator learns once that idle
   * stop cannot see CPU, instead of finding every instance "activity unknown".
   */
  async check(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const listed = await this.#list();
    return listed.ok ? { ok: true } : { ok: false, reason: listed.reason };
  }

  #cpu(instance: ActivityTarget, listed: Listed, now: Date, maxAgeMs: number): CpuSignal {
    const { namespace, pods } = this.options;
    const name = objectNames(instance.id).pod;
    if (pods) {
      const pod = pods.get(name, namespace);
      if (!pod) return { available: false, reason: 'no Pod' };
      if (!isManagedInstanceObject(pod, instance.id))
        return { available: false, reason: `Pod ${name} is not TiSpace's` };
    }
    if (!listed.ok) return { available: false, reason: listed.reason };
    return cpuSignal(listed.pods.get(name), { cpus: instance.cpu, now, maxAgeMs });
  }

  async #list(): Promise<Listed> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const list = (await Promise.race([
        this.#custom.listNamespacedCustomObject({
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          namespace: this.options.namespace,
          plural: 'pods',
          // Only TiSpace's Pods: metrics-server filters by the Pods' labels.
          labelSelector: MANAGED_SELECTOR,
        }),
        timeout,
      ])) as PodMetricsList | undefined;
      if (!Array.isArray(list?.items))
        return { ok: false, reason: 'metrics API answered without a PodMetricsList' };
      return { ok: true, pods: byPodName(list) };
    } catch (error) {
      return { ok: false, reason: listFailure(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** SSH signals in instance order; without a source, one constant (no per-instance call). */
  async #ssh(instances: readonly ActivityTarget[]): Promise<SshSignal[]> {
    const source = this.options.ssh;
    if (!source) return instances.map(() => NO_SSH);
    return Promise.all(
      instances.map(async (instance): Promise<SshSignal> => {
        try {
          return await source.sessions(instance);
        } catch (error) {
          return { available: false, reason: `SSH session source failed: ${(error as Error).message}` };
        }
      }),
    );
  }
}

/** Why the list failed, in words (the API server's Status message when there is one). */
function listFailure(error: unknown): string {
  const code = (error as { code?: number }).code;
  if (code === 404) return 'no CPU samples: metrics API missing (metrics.k8s.io not registered)';
  if (code === 403) return 'no CPU samples: not allowed to list pods.metrics.k8s.io';
  return `metrics API error: ${kubeStatusMessage(error)}`.slice(0, 200);
}
