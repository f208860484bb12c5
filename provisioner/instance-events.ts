// The recent Kubernetes Events of one instance's objects (its Pod, its disk, its final snapshot) for the
// machine page: why a Pod is Pending, a volume failed to attach, an image pull is slow. Read on demand
// (one list per object, never watched: nothing else needs them), as the instance's owner or an admin.
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { TiSpaceConfig } from './config/schema.ts';
import { objectNames } from './domain/names.ts';
import { ok, type Result } from './errors.ts';
import type { Actor } from './service/context.ts';
import type { ProvisionerApi } from './service/provisioner-api.ts';

export interface InstanceEvent {
  /** Normal or Warning. */
  type: string;
  reason: string;
  message: string;
  /** What it is about, as a user calls it. */
  object: 'machine' | 'disk' | 'snapshot';
  count: number;
  /** ISO time of the last occurrence. */
  at: string;
}

const MAX_EVENTS = 50;
const TIMEOUT_MS = 3000;

/** ISO time of an optional timestamp (the API sends null for the ones an event does not use). */
const iso = (d: Date | string | null | undefined): string | undefined => {
  if (!d) return undefined;
  const t = new Date(d);
  return Number.isNaN(t.getTime()) || t.getTime() <= 0 ? undefined : t.toISOString();
};

export class InstanceEvents {
  readonly #core: CoreV1Api;
  constructor(private readonly d: { config: TiSpaceConfig; kubeConfig: KubeConfig; api: ProvisionerApi }) {
    this.#core = d.kubeConfig.makeApiClient(CoreV1Api);
  }

  /**
   * Newest first, at most 50; NotFound for a machine the actor may not see (as every other call). When the
   * API server cannot answer, `unavailable` says why (the page shows the rest of the machine anyway).
   */
  async recent(
    actor: Actor,
    ref: { id: string },
  ): Promise<Result<{ events: InstanceEvent[]; unavailable?: string }>> {
    const found = this.d.api.get(actor, ref);
    if (!found.ok) return found;
    const i = found.value;
    const names = objectNames(i.id);
    const objects: { kind: string; name: string; object: InstanceEvent['object'] }[] = [
      { kind: 'Pod', name: names.pod, object: 'machine' },
      { kind: 'PersistentVolumeClaim', name: names.pvc, object: 'disk' },
      ...(i.snapshotName
        ? [{ kind: 'VolumeSnapshot', name: i.snapshotName, object: 'snapshot' as const }]
        : []),
    ];
    let timer: NodeJS.Timeout | undefined;
    try {
      const lists = await Promise.race([
        Promise.all(
          objects.map((o) =>
            this.#core.listNamespacedEvent({
              namespace: this.d.config.namespace,
              fieldSelector: `involvedObject.kind=${o.kind},involvedObject.name=${o.name}`,
              limit: MAX_EVENTS,
            }),
          ),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
        }),
      ]);
      const events = lists.flatMap((list, k) => list.items.map((e) => toEvent(e, objects[k]!.object)));
      return ok({ events: events.sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_EVENTS) });
    } catch (error) {
      const code = (error as { code?: number }).code;
      return ok({
        events: [],
        unavailable: `the cluster’s events could not be read (${code ? `HTTP ${code}` : error instanceof Error ? error.message : String(error)})`,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

function toEvent(e: CoreV1Event, object: InstanceEvent['object']): InstanceEvent {
  return {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    object,
    count: e.series?.count ?? e.count ?? 1,
    at:
      iso(e.series?.lastObservedTime) ??
      iso(e.lastTimestamp) ??
      iso(e.eventTime) ??
      iso(e.firstTimestamp) ??
      iso(e.metadata.creationTimestamp) ??
      '',
  };
}
