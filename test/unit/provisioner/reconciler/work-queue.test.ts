import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../../provisioner/reconciler/work-queue.ts';

describe('work queue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key that is being processed; a re-add runs once more afterwards', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
  });

  it('backs off exponentially per key and starts over after forget', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited('a'));
    expect(delays).toEqual([10, 20, 40, 80, 100]);
    q.forget('a');
    expect(q.failures('a')).toBe(0);
    q.shutDown();
  });

  it('wakes a waiting worker, and releases workers on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const idle = q.get();
    q.shutDown();
    expect(await idle).toBeUndefined();
  });

  it('a sooner addAfter replaces a later one (a backoff is not lost behind a long requeue)', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 10_000);
    q.addAfter('k', 10);
    const started = Date.now();
    const key = await Promise.race([q.get(), new Promise((r) => setTimeout(() => r('timeout'), 1_000))]);
    expect(key).toBe('k');
    expect(Date.now() - started).toBeLessThan(500);
    q.shutDown();
  });

  it('a later addAfter does not postpone a sooner one', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 10);
    q.addAfter('k', 10_000);
    const key = await Promise.race([q.get(), new Promise((r) => setTimeout(() => r('timeout'), 1_000))]);
    expect(key).toBe('k');
    q.shutDown();
  });
});
