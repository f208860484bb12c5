// Store errors never freeze the process or kill a worker: a locked database answers within a short busy
// timeout instead of blocking the event loop (acks, probes) for seconds, and a reconcile whose store
// calls fail is backed off while the workers keep serving the queue.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { insertInstance, type JobsWorld, jobsWorld } from '../jobs/support.ts';

let w: JobsWorld | undefined;
afterEach(async () => {
  await w?.provisioner.reconciler.stop();
  w?.close();
  w = undefined;
});

describe('store errors', () => {
  it('a write against a database locked by another connection fails fast, without freezing the event loop', () => {
    w = jobsWorld();
    const row = insertInstance(w.provisioner.store, w.clock);
    const other = new Database(w.path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      expect(() =>
        w?.provisioner.store.instances.update(row.id, { keep: true }, new Date().toISOString()),
      ).toThrow(/locked|busy/i);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a reconcile whose store calls throw is backed off, and the workers keep serving the queue', async () => {
    w = jobsWorld();
    const { reconciler, store } = w.provisioner;
    const get = store.instances.get.bind(store.instances);
    let broken = true;
    store.instances.get = (id: string) => {
      if (broken) throw new Error('disk I/O error');
      return get(id);
    };
    reconciler.start();
    for (let n = 0; n < 12; n++) reconciler.queue.add(`broken-${n}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reconciler.stats.errors).toBeGreaterThanOrEqual(12);
    broken = false;
    const before = reconciler.stats.reconciles;
    reconciler.queue.add('after-the-fault');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reconciler.stats.reconciles).toBeGreaterThan(before);
  });
});
