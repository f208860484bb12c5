// The stripping informer against a scripted Watch: lists and watch events reach the cache stripped, and
// ListWatch's resourceVersion bookkeeping (resume, BOOKMARK, 410 Gone relist) still works.
import {
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type Watch,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  type ListPage,
  listStripped,
  strippedListWatch,
} from '../../../../provisioner/kube/stripped-list-watch.ts';

interface Obj extends KubernetesObject {
  spec?: { keep?: string; drop?: string };
}

/** Keeps name, namespace, resourceVersion and spec.keep (a stand-in for strip.ts). */
const strip = (o: Obj): Obj => ({
  metadata: {
    name: o.metadata?.name,
    namespace: o.metadata?.namespace,
    resourceVersion: o.metadata?.resourceVersion,
  },
  spec: { keep: o.spec?.keep },
});

const obj = (name: string, rv: string, keep = 'k'): Obj => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: {
    name,
    namespace: 'ns',
    resourceVersion: rv,
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
  },
  spec: { keep, drop: 'x'.repeat(1000) },
});

type Call = {
  path: string;
  query: Record<string, unknown>;
  callback: (phase: string, object: unknown, event?: unknown) => void;
  done: (err: unknown) => void;
};

/** The object ListWatch calls `.watch(path, query, callback, done)` on, driven by the test. */
class ScriptedWatch {
  readonly config = new KubeConfig();
  readonly calls: Call[] = [];
  watch(
    path: string,
    query: Record<string, unknown>,
    callback: Call['callback'],
    done: Call['done'],
  ): Promise<AbortController> {
    this.calls.push({ path, query, callback, done });
    return Promise.resolve(new AbortController());
  }
  get last(): Call {
    return this.calls.at(-1)!;
  }
}

const list = (rv: string, items: Obj[], next?: string): KubernetesListObject<Obj> => ({
  apiVersion: 'v1',
  kind: 'ThingList',
  metadata: { resourceVersion: rv, ...(next ? { _continue: next } : {}) },
  items,
});
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('strippedListWatch', () => {
  it('stores stripped objects from lists and watch events and keeps resourceVersion bookkeeping', async () => {
    const watch = new ScriptedWatch();
    const lists = [
      list('10', [obj('a', '5'), obj('b', '6')]),
      list('30', [obj('b', '25', 'b2'), obj('c', '26')]),
      list('40', [obj('c', '26')]),
    ];
    let listed = 0;
    const informer = strippedListWatch<Obj>({
      path: '/api/v1/things',
      watch: watch as unknown as Watch,
      list: async () => lists[listed++]!,
      strip,
      labelSelector: 'app=x',
    });
    const seen: { verb: string; object: Obj }[] = [];
    for (const verb of ['add', 'update', 'delete'] as const)
      informer.on(verb, (object) => seen.push({ verb, object }));
    await informer.start();

    // The list: stripped in the cache and in the handlers; the watch resumes from the list's version.
    expect(informer.list('ns')).toEqual([strip(obj('a', '5')), strip(obj('b', '6'))]);
    expect(JSON.stringify(seen)).not.toContain('managedFields');
    expect(watch.last.path).toBe('/api/v1/things');
    expect(watch.last.query).toEqual({
      resourceVersion: '10',
      labelSelector: 'app=x',
      allowWatchBookmarks: true,
    });

    // Watch events: stripped objects, raw event included; versions advance.
    const events: unknown[] = [];
    informer.on('add', (o) => events.push(o));
    watch.last.callback('ADDED', obj('d', '11'), { type: 'ADDED', object: obj('d', '11') });
    watch.last.callback('MODIFIED', obj('a', '12', 'a2'), { type: 'MODIFIED', object: obj('a', '12', 'a2') });
    watch.last.callback('DELETED', obj('b', '13'), { type: 'DELETED', object: obj('b', '13') });
    expect(informer.get('d', 'ns')).toEqual(strip(obj('d', '11')));
    expect(informer.get('a', 'ns')).toEqual(strip(obj('a', '12', 'a2')));
    expect(informer.get('b', 'ns')).toBeUndefined();
    expect(informer.latestResourceVersion()).toBe('13');
    expect(JSON.stringify(informer.list())).not.toContain('managedFields');
    expect(JSON.stringify(seen)).not.toContain('drop');
    expect(events).toEqual([strip(obj('d', '11'))]);

    // BOOKMARK: only a resourceVersion, which ListWatch records.
    watch.last.callback('BOOKMARK', { kind: 'Thing', metadata: { resourceVersion: '20' } });
    expect(informer.latestResourceVersion()).toBe('20');
    expect(informer.list('ns')).toHaveLength(2);

    // The watch ends normally: resume from the bookmark without listing.
    watch.last.done(null);
    await tick();
    expect(listed).toBe(1);
    expect(watch.last.query).toMatchObject({ resourceVersion: '20' });

    // 410 Gone as an ERROR event (a Status, passed on untouched), then the watch ends: relist, stripped,
    // and what the new list lacks is deleted from the cache.
    watch.last.callback('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    expect(informer.latestResourceVersion()).toBe('');
    watch.last.done(null);
    await tick();
    expect(listed).toBe(2);
    expect(
      [...informer.list('ns')].sort((x, y) => x.metadata!.name!.localeCompare(y.metadata!.name!)),
    ).toEqual([strip(obj('b', '25', 'b2')), strip(obj('c', '26'))]);
    expect(watch.last.query).toMatchObject({ resourceVersion: '30' });

    // 410 Gone as the watch request's failure: relist too.
    watch.last.done({ statusCode: 410 });
    await tick();
    expect(listed).toBe(3);
    expect(informer.list('ns')).toEqual([strip(obj('c', '26'))]);
    expect(watch.last.query).toMatchObject({ resourceVersion: '40' });
    await informer.stop();
  });

  it('lists page by page, stripping each page, and resumes from the snapshot’s resourceVersion', async () => {
    const asked: ListPage[] = [];
    const pages: Record<string, KubernetesListObject<Obj>> = {
      first: list('50', [obj('a', '1'), obj('b', '2')], 't1'),
      t1: list('50', [obj('c', '3'), obj('d', '4')], 't2'),
      // Custom objects come back raw: the token is `continue`, not `_continue`.
      t2: { ...list('50', [obj('e', '5')]), metadata: { resourceVersion: '50', continue: '' } as never },
    };
    const listed = await listStripped<Obj>(
      async (page) => {
        asked.push(page);
        return pages[page._continue ?? 'first']!;
      },
      strip,
      2,
    );
    expect(asked).toEqual([{ limit: 2 }, { limit: 2, _continue: 't1' }, { limit: 2, _continue: 't2' }]);
    expect(listed.metadata).toEqual({ resourceVersion: '50' });
    expect(listed.items).toEqual(['a', 'b', 'c', 'd', 'e'].map((n, i) => strip(obj(n, `${i + 1}`))));

    const raw = await listStripped<Obj>(
      async (page) =>
        ({
          ...list('60', [obj(page._continue ? 'y' : 'x', '1')]),
          metadata: { resourceVersion: '60', ...(page._continue ? {} : { continue: 'raw' }) },
        }) as KubernetesListObject<Obj>,
      strip,
    );
    expect(raw.items.map((o) => o.metadata?.name)).toEqual(['x', 'y']);
  });
});
