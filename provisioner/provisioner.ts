import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type AdoptReport, adopt } from './adopt.ts';
import { CapacitySource } from './capacity-source.ts';
import { type Clock, systemClock } from './clock.ts';
import type { TiSpaceConfig } from './config/schema.ts';
import { fail, ok, type Result } from './errors.ts';
import { GatewayAccess } from './gateway-access.ts';
import { InstanceEvents } from './instance-events.ts';
import { MetricsActivitySource } from './jobs/activity.ts';
import { Jobs, type JobsOptions } from './jobs/scheduler.ts';
import { type KubeActions, kubeActions } from './kube/actions.ts';
import { type KeepAliveKubeConfig, keepAliveKubeConfig } from './kube/keep-alive-kube-config.ts';
import { checkRuntimeClass } from './kube/runtime-class-guard.ts';
import { World } from './kube/world.ts';
import { type Notifier, silentNotifier } from './notifier.ts';
import { Reconciler, type ReconcilerOptions } from './reconciler/reconciler.ts';
import { ServiceContext } from './service/context.ts';
import { type PolicyActions, policyActions } from './service/policy-actions.ts';
import { createProvisionerApi, type ProvisionerApi } from './service/provisioner-api.ts';
import { Store } from './store/store.ts';
import { type SessionPolicy, WebAccess } from './web-access.ts';

export interface ProvisionerOptions {
  config: TiSpaceConfig;
  kubeConfig: KubeConfig;
  /** A Store, or the SQLite path to open one at. */
  store: Store | string;
  log: Logger;
  clock?: Clock;
  notifier?: Notifier;
  workers?: number;
  unschedulableFailAfterMs?: number;
  beforeStep?: ReconcilerOptions['beforeStep'];
  /** Override the API writer (benchmarks count requests through it). */
  kube?: KubeActions;
  /** Idle and absolute expiry of web sessions (defaults: 8 h idle, 7 days). */
  sessionPolicy?: SessionPolicy;
  /**
   * Called when the RuntimeClass check, asked again after an API outage at start-up, finds the class is
   * not Kata (start() had already resolved; nothing was created). The process should stop.
   */
  onRefused?: (message: string) => void;
}

/** Everything the provisioner runs: store, caches, reconciler and the API front ends call. */
export class Provisioner {
  /** The front ends' API. */
  readonly api: ProvisionerApi;
  /** The scheduled jobs' actions (createJobs hands them over; no front end holds them). */
  readonly policy: PolicyActions;
  /** Web sign-in, sessions and API tokens (the web front end). */
  readonly web: WebAccess;
  /** What the SSH gateway may let each key reach. */
  readonly gateway: GatewayAccess;
  /** Recent Kubernetes Events of a machine's objects (the machine page). */
  readonly events: InstanceEvents;
  readonly store: Store;
  readonly world: World;
  readonly reconciler: Reconciler;
  readonly kube: KubeActions;
  readonly clock: Clock;
  /**
   * The KubeConfig every API client of the provisioner uses: options.kubeConfig with one keep-alive
   * connection pool. Hand it to anything else that talks to the cluster (jobs) to share the pool.
   */
  readonly kubeConfig: KeepAliveKubeConfig;
  #notifier: Notifier;
  readonly #options: ProvisionerOptions;
  /** The configured RuntimeClass was read and is Kata: the reconciler runs. */
  #kata = false;
  #stopped = false;
  #recheck: NodeJS.Timeout | undefined;

  constructor(options: ProvisionerOptions) {
    this.#options = options;
    const { config, log } = options;
    const kubeConfig = keepAliveKubeConfig(options.kubeConfig);
    this.kubeConfig = kubeConfig;
    this.clock = options.clock ?? systemClock;
    this.store = typeof options.store === 'string' ? Store.open(options.store) : options.store;
    this.kube = options.kube ?? kubeActions(kubeConfig);
    this.#notifier = options.notifier ?? silentNotifier;
    // The notifier is resolved late so a front end can plug in after construction.
    const notifier: Notifier = {
      instanceChanged: (i, c) => this.#notifier.instanceChanged(i, c),
      notice: (u, n) => this.#notifier.notice(u, n),
      adminAlert: (t) => this.#notifier.adminAlert(t),
    };
    let reconciler: Reconciler | undefined;
    this.world = new World({
      kubeConfig,
      namespace: config.namespace,
      log,
      onChange: (kind, object) => reconciler?.onObjectChanged(kind, object),
    });
    reconciler = new Reconciler({
      config,
      store: this.store,
      world: this.world,
      kube: this.kube,
      clock: this.clock,
      log,
      notifier,
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.unschedulableFailAfterMs !== undefined
        ? { unschedulableFailAfterMs: options.unschedulableFailAfterMs }
        : {}),
      ...(options.beforeStep ? { beforeStep: options.beforeStep } : {}),
    });
    this.reconciler = reconciler;
    const capacity = new CapacitySource(config, this.world, kubeConfig);
    const service = new ServiceContext({
      config,
      store: this.store,
      clock: this.clock,
      log,
      capacity,
      reconciler,
    });
    this.api = createProvisionerApi(service);
    this.policy = policyActions(service);
    this.web = new WebAccess({
      store: this.store,
      clock: this.clock,
      api: this.api,
      ...(options.sessionPolicy ? { policy: options.sessionPolicy } : {}),
    });
    this.gateway = new GatewayAccess({ store: this.store });
    this.events = new InstanceEvents({ config, kubeConfig, api: this.api });
  }

  get config(): TiSpaceConfig {
    return this.#options.config;
  }

  setNotifier(notifier: Notifier): void {
    this.#notifier = notifier;
  }

  get notifier(): Notifier {
    return this.#notifier;
  }

  /**
   * Checks that the configured RuntimeClass runs Pods in a Kata VM, lists and watches, then reconciles.
   * A class that is missing or not Kata is refused and nothing starts. While the API server cannot say
   * (an outage), the caches start but the reconciler waits, asking again with backoff. Resolves once
   * every cache has listed (or failed to, and retries).
   */
  async start(): Promise<Result<void>> {
    const verdict = await checkRuntimeClass(this.kubeConfig, this.config);
    if (verdict.kind === 'refused') return fail('InvalidInput', verdict.message);
    await this.world.start();
    if (verdict.kind === 'kata') this.#startReconciling();
    else this.#checkAgain(1, verdict.message);
    return ok(undefined);
  }

  #startReconciling(): void {
    this.#kata = true;
    this.reconciler.start();
  }

  #checkAgain(attempt: number, why: string): void {
    const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 10));
    this.#options.log.warn({ why, retryInMs: delay }, 'RuntimeClass not checked yet; not reconciling');
    this.#recheck = setTimeout(async () => {
      const verdict = await checkRuntimeClass(this.kubeConfig, this.config);
      if (this.#stopped) return;
      if (verdict.kind === 'kata') this.#startReconciling();
      else if (verdict.kind === 'unknown') this.#checkAgain(attempt + 1, verdict.message);
      else {
        this.#options.log.error({ why: verdict.message }, 'RuntimeClass is not Kata; not reconciling');
        this.#options.onRefused?.(verdict.message);
      }
    }, delay);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#recheck);
    await this.reconciler.stop();
    await this.world.stop();
    this.kubeConfig.closeIdle();
  }

  /** Ready when the store answers, every watch has synced and the RuntimeClass was found to be Kata. */
  ready(): { ok: boolean; store: boolean; kubernetes: boolean } {
    let store = false;
    try {
      store = this.store.ping();
    } catch {
      store = false;
    }
    const kubernetes = this.world.synced && this.#kata;
    return { ok: store && kubernetes, store, kubernetes };
  }

  /** Rebuilds lost instance rows from the cluster, then reconciles them. */
  async adopt(): Promise<AdoptReport> {
    const report = await adopt({
      config: this.config,
      store: this.store,
      kubeConfig: this.kubeConfig,
      clock: this.clock,
    });
    this.reconciler.resync();
    return report;
  }
}

/**
 * The scheduled jobs over a Provisioner's store, policy actions and (late-bound) notifier. With a
 * kubeConfig they elect a leader and read CPU from metrics.k8s.io, matched through the Provisioner's Pod
 * cache; an explicit `activity` replaces that source.
 */
export function createJobs(
  provisioner: Provisioner,
  options: Omit<JobsOptions, 'config' | 'store' | 'service' | 'notifier'> & {
    notifier?: JobsOptions['notifier'];
  },
): Jobs {
  const activity =
    options.activity ??
    (options.kubeConfig
      ? new MetricsActivitySource({
          kubeConfig: options.kubeConfig,
          namespace: provisioner.config.namespace,
          pods: provisioner.world.pods,
        })
      : undefined);
  return new Jobs({
    ...options,
    config: provisioner.config,
    store: provisioner.store,
    service: provisioner.policy,
    notifier: options.notifier ?? (() => provisioner.notifier),
    clock: options.clock ?? provisioner.clock,
    ...(activity ? { activity } : {}),
  });
}
