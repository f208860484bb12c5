import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type AdoptReport, adopt } from './adopt.ts';
import { CapacitySource } from './capacity-source.ts';
import { type Clock, systemClock } from './clock.ts';
import type { TiSpaceConfig } from './config/schema.ts';
import { InstanceEvents } from './instance-events.ts';
import { type KubeActions, kubeActions } from './kube/actions.ts';
import { type KeepAliveKubeConfig, keepAliveKubeConfig } from './kube/keep-alive-kube-config.ts';
import { World } from './kube/world.ts';
import { type Notifier, silentNotifier } from './notifier.ts';
import { Reconciler, type ReconcilerOptions } from './reconciler/reconciler.ts';
import { ProvisionerService } from './service.ts';
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
}

/** Everything the provisioner runs: store, caches, reconciler and the API front ends call. */
export class Provisioner {
  readonly api: ProvisionerService;
  /** Web sign-in, sessions and API tokens (the web front end). */
  readonly web: WebAccess;
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
    this.api = new ProvisionerService({
      config,
      store: this.store,
      clock: this.clock,
      log,
      capacity,
      reconciler,
    });
    this.web = new WebAccess({
      store: this.store,
      clock: this.clock,
      api: this.api,
      ...(options.sessionPolicy ? { policy: options.sessionPolicy } : {}),
    });
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

  /** Lists and watches, then reconciles. Resolves once every cache has listed (or failed to, and retries). */
  async start(): Promise<void> {
    await this.world.start();
    this.reconciler.start();
  }

  async stop(): Promise<void> {
    await this.reconciler.stop();
    await this.world.stop();
    this.kubeConfig.closeIdle();
  }

  /** Ready when the store answers and every watch has synced. */
  ready(): { ok: boolean; store: boolean; kubernetes: boolean } {
    let store = false;
    try {
      store = this.store.ping();
    } catch {
      store = false;
    }
    const kubernetes = this.world.synced;
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
