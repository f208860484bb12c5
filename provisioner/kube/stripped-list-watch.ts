import { type KubernetesListObject, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';

/** A pure function returning the part of an object the cache keeps (see strip.ts). */
export type Strip<T> = (object: T) => T;

/** Events that carry a resource. ERROR carries a Status (410 Gone) and BOOKMARK only a resourceVersion. */
const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

type WatchArgs = Parameters<Watch['watch']>;

/**
 * A Watch whose callback receives stripped objects. ListWatch (client-node 1.4) has no transform hook: it
 * calls `watch.watch(path, query, callback, done)` and stores what the callback gets, so this is where the
 * whole object is kept from reaching its cache. ERROR and BOOKMARK events pass through untouched, because
 * ListWatch reads their code (410 Gone: relist) and resourceVersion; stripped objects keep theirs too.
 * It asks for bookmarks (allowWatchBookmarks), which ListWatch does not.
 */
export class StrippingWatch<T extends KubernetesObject> extends Watch {
  readonly #inner: Watch;
  readonly #strip: Strip<T>;

  constructor(inner: Watch, strip: Strip<T>) {
    super(inner.config);
    this.#inner = inner;
    this.#strip = strip;
  }

  override watch(
    path: WatchArgs[0],
    queryParams: WatchArgs[1],
    callback: WatchArgs[2],
    done: WatchArgs[3],
  ): Promise<AbortController> {
    return this.#inner.watch(
      path,
      // Bookmarks move the resume point along while nothing changes, so a restarted watch resumes instead
      // of getting 410 Gone and relisting everything; ListWatch records their resourceVersion.
      { ...queryParams, allowWatchBookmarks: true },
      (phase, object, event) => {
        if (!OBJECT_EVENTS.has(phase) || object === null || typeof object !== 'object')
          return callback(phase, object, event);
        const stripped = this.#strip(object as T);
        // The raw event still holds the whole object; hand on one that does not.
        callback(phase, stripped, { type: phase, object: stripped });
      },
      done,
    );
  }
}

/** One page of a list request: pass both on to the API call. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

/** Items per list page (client-go's reflector pages by 500 too). */
const LIST_PAGE_SIZE = 500;

/** The continue token: `_continue` on typed lists, `continue` on raw ones (custom objects). */
const continueOf = (list: KubernetesListObject<KubernetesObject>): string | undefined =>
  list.metadata?._continue || (list.metadata as { continue?: string } | undefined)?.continue || undefined;

/**
 * The whole list, fetched page by page and stripped page by page: only one page of whole objects (and
 * of response text) is in memory at a time, instead of, at 10,000 instances, every Pod at once. The pages
 * form one consistent snapshot (the API server guarantees it for continue tokens), so the resourceVersion
 * returned is the one the watch resumes from. An expired continue token fails the list like any error.
 */
export async function listStripped<T extends KubernetesObject>(
  list: (page: ListPage) => Promise<KubernetesListObject<T>>,
  strip: Strip<T>,
  pageSize = LIST_PAGE_SIZE,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let page = await list({ limit: pageSize });
  for (;;) {
    for (const item of page.items) items.push(strip(item));
    const next = continueOf(page);
    if (!next) break;
    page = await list({ limit: pageSize, _continue: next });
  }
  const resourceVersion = page.metadata?.resourceVersion;
  return {
    apiVersion: page.apiVersion,
    kind: page.kind,
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    items,
  };
}

export interface StrippedListWatchOptions<T extends KubernetesObject> {
  path: string;
  watch: Watch;
  /** Lists one page; `page` must be passed on to the API call. */
  list: (page: ListPage) => Promise<KubernetesListObject<T>>;
  strip: Strip<T>;
  labelSelector?: string;
  pageSize?: number;
}

/**
 * An informer (not started) whose cache holds only stripped objects, from the list and from every watch
 * event alike, so relists (410 Gone, restarts) and updates never bring whole objects back.
 */
export function strippedListWatch<T extends KubernetesObject>(
  options: StrippedListWatchOptions<T>,
): ListWatch<T> {
  const { path, watch, list, strip, labelSelector, pageSize } = options;
  return new ListWatch<T>(
    path,
    new StrippingWatch(watch, strip),
    () => listStripped(list, strip, pageSize),
    false,
    labelSelector,
  );
}
