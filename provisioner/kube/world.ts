import {
  CoreV1Api,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
  type V1Service,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MANAGED_SELECTOR } from '../domain/labels.ts';
import { stripNode, stripPod, stripPvc, stripSecret, stripService, stripSnapshot } from './strip.ts';
import { type ListPage, type Strip, strippedListWatch } from './stripped-list-watch.ts';
import type { VolumeSnapshot } from './types.ts';

type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface WorldOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  log: Logger;
  /** Called with every object that changed (and with deleted ones). */
  onChange: (kind: string, object: KubernetesObject) => void;
  /** Backoff before a dead watch is restarted (grows to maxRestartMs). */
  minRestartMs?: number;
  maxRestartMs?: number;
}

/**
 * The reconciler's view of the cluster: list+watch caches (informers), so steady-state reconciles
 * make no GETs. A watch that dies is restarted with backoff; 410 Gone relists (client-node does that).
 * The caches hold stripped objects (strip.ts): only the fields TiSpace reads; lists come in pages.
 */
export class World {
  readonly pods: Cache<V1Pod>;
  readonly nodes: Cache<V1Node>;
  readonly pvcs: Cache<V1PersistentVolumeClaim>;
  readonly services: Cache<V1Service>;
  readonly secrets: Cache<V1Secret>;
  readonly snapshots: Cache<VolumeSnapshot>;
  readonly #all: { kind: string; informer: Cache<KubernetesObject> }[] = [];
  readonly #synced = new Set<string>();
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: WorldOptions) {
    const { kubeConfig: kc, namespace: ns } = options;
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const watch = new Watch(kc);
    const make = <T extends KubernetesObject>(
      kind: string,
      path: string,
      strip: Strip<T>,
      list: (page: ListPage) => Promise<KubernetesListObject<T>>,
      labelSelector?: string,
    ): Cache<T> => {
      const informer = strippedListWatch<T>({ path, watch, list, strip, labelSelector });
      this.#all.push({ kind, informer: informer as unknown as Cache<KubernetesObject> });
      return informer;
    };
    // Pods: TiSpace's namespace only (its Role; the ClusterRole grants no Pods, see manifests/base/rbac.yaml).
    // Capacity counts these on the dev-pool nodes and devPool.reservedPerNode for everything else there.
    this.pods = make('Pod', `/api/v1/namespaces/${ns}/pods`, stripPod, (page) =>
      core.listNamespacedPod({ namespace: ns, ...page }),
    );
    this.nodes = make('Node', '/api/v1/nodes', stripNode, (page) => core.listNode(page));
    this.pvcs = make(
      'PersistentVolumeClaim',
      `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
      stripPvc,
      (page) =>
        core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: MANAGED_SELECTOR, ...page }),
      MANAGED_SELECTOR,
    );
    this.services = make(
      'Service',
      `/api/v1/namespaces/${ns}/services`,
      stripService,
      (page) => core.listNamespacedService({ namespace: ns, labelSelector: MANAGED_SELECTOR, ...page }),
      MANAGED_SELECTOR,
    );
    this.secrets = make(
      'Secret',
      `/api/v1/namespaces/${ns}/secrets`,
      stripSecret,
      (page) => core.listNamespacedSecret({ namespace: ns, labelSelector: MANAGED_SELECTOR, ...page }),
      MANAGED_SELECTOR,
    );
    // All snapshots of the namespace: golden images are not ours, but we must see whether they are ready.
    this.snapshots = make(
      'VolumeSnapshot',
      `/apis/snapshot.storage.k8s.io/v1/namespaces/${ns}/volumesnapshots`,
      stripSnapshot,
      (page) =>
        custom.listNamespacedCustomObject({
          group: 'snapshot.storage.k8s.io',
          version: 'v1',
          namespace: ns,
          plural: 'volumesnapshots',
          ...page,
        }) as Promise<KubernetesListObject<VolumeSnapshot>>,
    );
  }

  /** Starts every watch; resolves once each has listed or failed its first try (failures keep retrying). */
  async start(): Promise<void> {
    await Promise.all(this.#all.map(({ kind, informer }) => this.#startOne(kind, informer)));
  }

  /** True while every cache has listed and its watch has not failed since. */
  get synced(): boolean {
    return this.#synced.size === this.#all.length;
  }

  #startOne(kind: string, informer: Cache<KubernetesObject>): Promise<void> {
    const { log, onChange } = this.options;
    let failures = 0;
    let restartPending = false;
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, (o) => onChange(kind, o));
    const attempt = (): Promise<void> => {
      const failuresBefore = failures;
      // start() lists (unless it can resume from the last resourceVersion) and then watches. A failed list
      // is reported through 'error'; a failed watch request rejects; both end up in failed().
      return informer.start().then(
        () => {
          if (failures !== failuresBefore) return;
          failures = 0;
          this.#synced.add(kind);
        },
        (error: unknown) => failed(error),
      );
    };
    const failed = (error: unknown): void => {
      failures++;
      this.#synced.delete(kind);
      if (this.#stopped || restartPending) return;
      restartPending = true;
      const delay = this.#backoff(failures);
      log.warn({ kind, err: error, retryInMs: delay }, 'watch failed; restarting');
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        restartPending = false;
        if (!this.#stopped) void attempt();
      }, delay);
      this.#timers.add(timer);
    };
    informer.on('error', failed);
    return attempt();
  }

  #backoff(attempt: number): number {
    const min = this.options.minRestartMs ?? 200;
    const max = this.options.maxRestartMs ?? 10_000;
    return Math.min(max, min * 2 ** Math.min(attempt - 1, 16));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all(this.#all.map(({ informer }) => informer.stop()));
  }
}
