// The idle job's pass over many instances with the real metrics source (against a fake metrics.k8s.io):
// one request per pass, unavailable never idle, and no store writes when nothing changed.
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MetricsActivitySource } from '../../../../provisioner/jobs/activity.ts';
import type { Jobs } from '../../../../provisioner/jobs/scheduler.ts';
import type { JobNotice } from '../../../../provisioner/notifier.ts';
import { createJobs } from '../../../../provisioner/provisioner.ts';
import type { StoredInstance } from '../../../../provisioner/store/instances-repo.ts';
import { D, H } from '../../../support/durations.ts';
import { silentLog as log } from '../../../support/log.ts';
import { FakeMetricsApi, managedLabels } from './fake-metrics-api.ts';
import { insertInstance, type JobsWorld, jobsWorld } from './support.ts';

let now = () => new Date();
const api = new FakeMetricsApi({ namespace: 'tispace', now: () => now() });
beforeAll(() => api.start());
afterAll(() => api.stop());

let w: JobsWorld;
afterEach(() => w?.close());

/** A world whose idle job reads the fake metrics API; `n` running instances with CPU `cpu` each. */
function metricsWorld(n: number, cpu: string | undefined = '0') {
  w = jobsWorld();
  now = () => w.clock.now();
  api.mode = 'serving';
  api.pods.clear();
  const instances: StoredInstance[] = [];
  for (let k = 0; k < n; k++) {
    const i = insertInstance(w.provisioner.store, w.clock, {
      name: `m${k}`,
      leaseEndsAt: new Date(w.clock.now().getTime() + 20 * D).toISOString(),
    });
    instances.push(i);
    if (cpu !== undefined) api.set({ name: i.id, labels: managedLabels(i.id), cpu: [cpu] });
  }
  const jobs = createJobs(w.provisioner, {
    log,
    clock: w.clock,
    activity: new MetricsActivitySource({ kubeConfig: api.kubeConfig, namespace: 'tispace' }),
  });
  return { jobs, instances };
}

const idle = async (jobs: Jobs) => {
  const before = api.requests.length;
  const run = await jobs.runOnce('idle');
  return { run, requests: api.requests.length - before };
};
const warnings = () =>
  w.notifier.notices
    .map((n) => n.notice)
    .filter((n): n is Extract<JobNotice, { kind: 'idle-warning' }> => n.kind === 'idle-warning');
/** Rows this connection changed so far (SQLite total_changes()). */
const changes = () =>
  (w.provisioner.store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

describe('idle pass with the metrics API', () => {
  it('makes one metrics request per pass, for 1 or 200 instances', async () => {
    const one = metricsWorld(1);
    expect((await idle(one.jobs)).requests).toBe(1);
    w.close();
    const many = metricsWorld(200);
    w.clock.advance(6 * H);
    const { run, requests } = await idle(many.jobs);
    expect(requests).toBe(1);
    expect(run.acted).toHaveLength(200);
    expect(warnings()[0]?.evidence).toBe('CPU under 2 % for 6 h');
    // The dry run samples the same way.
    const before = api.requests.length;
    await many.jobs.dryRun();
    expect(api.requests.length - before).toBe(1);
  });

  it('never counts an absent (404) or forbidden (403) metrics API as idle', async () => {
    const { jobs, instances } = metricsWorld(3);
    for (const mode of ['absent', 'forbidden'] as const) {
      api.mode = mode;
      for (let n = 0; n < 4; n++) {
        w.clock.advance(3 * H);
        expect((await idle(jobs)).requests).toBe(1);
      }
      expect(w.notifier.notices).toEqual([]);
      for (const i of instances)
        expect(w.provisioner.store.instances.get(i.id)?.lastActiveAt).toBe(w.clock.now().toISOString());
    }
    // Back: idleness counts from the last unobserved pass, not from before the gap.
    api.mode = 'serving';
    w.clock.advance(6 * H - 1);
    await idle(jobs);
    expect(warnings()).toEqual([]);
    w.clock.advance(1);
    await idle(jobs);
    expect(warnings()).toHaveLength(3);
  });

  it('never counts an instance whose Pod is missing from the list as idle', async () => {
    const { jobs, instances } = metricsWorld(2);
    const [sampled, missing] = instances as [StoredInstance, StoredInstance];
    api.pods.delete(missing.id);
    w.clock.advance(6 * H);
    await idle(jobs);
    expect(warnings().map((n) => n.instance.id)).toEqual([sampled.id]);
    expect(w.provisioner.store.instances.get(missing.id)).toMatchObject({
      idleWarnedAt: null,
      lastActiveAt: w.clock.now().toISOString(),
    });
  });

  it('writes nothing when nothing changed, and all activity in one transaction otherwise', async () => {
    const { jobs, instances } = metricsWorld(50, '3'); // 3 CPUs of 4: busy
    const store = w.provisioner.store;
    const transaction = vi.spyOn(store, 'transaction');
    const durably = vi.spyOn(store, 'durably');
    const lastActive = () => store.instances.listAll().map((i) => i.lastActiveAt);

    // Busy at the time they were created: lastActiveAt is already now.
    let c = changes();
    await idle(jobs);
    expect(changes() - c).toBe(0);
    expect(transaction).not.toHaveBeenCalled();

    // Later and still busy: every clock moves, in one transaction, none durable.
    w.clock.advance(10 * 60_000);
    c = changes();
    await idle(jobs);
    expect(changes() - c).toBe(50);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(new Set(lastActive())).toEqual(new Set([w.clock.now().toISOString()]));

    // Same time again: nothing to write.
    c = changes();
    await idle(jobs);
    expect(changes() - c).toBe(0);
    expect(transaction).toHaveBeenCalledTimes(1);

    // Idle now, but not for long enough to warn: the idle clocks run, nothing is written.
    for (const i of instances) api.set({ name: i.id, labels: managedLabels(i.id), cpu: ['1m'] });
    const before = lastActive();
    for (let n = 0; n < 5; n++) {
      w.clock.advance(H);
      c = changes();
      await idle(jobs);
      expect(changes() - c).toBe(0);
    }
    expect(lastActive()).toEqual(before);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(durably).not.toHaveBeenCalled();
  });

  it('stops (the one durable write) only what is still idle after the warning', async () => {
    const { jobs, instances } = metricsWorld(3);
    const [a, b, c] = instances as [StoredInstance, StoredInstance, StoredInstance];
    const durably = vi.spyOn(w.provisioner.store, 'durably');
    w.clock.advance(6 * H);
    await idle(jobs);
    expect(warnings()).toHaveLength(3);
    api.set({ name: b.id, labels: managedLabels(b.id), cpu: ['2'] }); // used again
    api.pods.delete(c.id); // no longer observable
    w.clock.advance(2 * H);
    const { run } = await idle(jobs);
    expect(run.acted.map((x) => [x.action, x.instanceId])).toEqual([['stop-idle', a.id]]);
    expect(durably).toHaveBeenCalledTimes(1);
    const get = (i: StoredInstance) => w.provisioner.store.instances.get(i.id);
    expect([get(a)?.desired, get(b)?.desired, get(c)?.desired]).toEqual(['stopped', 'running', 'running']);
    expect([get(b)?.idleWarnedAt, get(c)?.idleWarnedAt]).toEqual([null, null]);
  });

  it('records activity as a compare-and-set: never moves a clock back, never touches a stopped instance', () => {
    w = jobsWorld();
    const store = w.provisioner.store;
    const at = (h: number) => new Date(w.clock.now().getTime() + h * H).toISOString();
    const running = insertInstance(store, w.clock, { name: 'run', idleWarnedAt: at(0) });
    const stopped = insertInstance(store, w.clock, { name: 'stop', desired: 'stopped', phase: 'stopped' });
    const unset = insertInstance(store, w.clock, { name: 'unset', lastActiveAt: null });
    const entries = (h: number) => [running, stopped, unset].map((i) => ({ id: i.id, lastActiveAt: at(h) }));
    expect(store.transaction(() => store.instances.recordActivity(entries(1), at(1)))).toBe(2);
    expect(store.instances.get(running.id)).toMatchObject({ lastActiveAt: at(1), idleWarnedAt: null });
    expect(store.instances.get(unset.id)?.lastActiveAt).toBe(at(1));
    expect(store.instances.get(stopped.id)?.lastActiveAt).toBe(at(0));
    expect(store.instances.recordActivity(entries(-1), at(2))).toBe(0);
    expect(store.instances.recordActivity(entries(1), at(2))).toBe(0);
    expect(store.instances.get(running.id)?.lastActiveAt).toBe(at(1));
  });
});

describe('createJobs’ default activity source', () => {
  it('says once at start-up that idle stop needs metrics-server when the metrics API is absent', async () => {
    w = jobsWorld();
    api.mode = 'absent';
    const lines: { msg: string; reason?: string }[] = [];
    const capture = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line) as { msg: string; reason?: string }) },
    );
    createJobs(w.provisioner, { log: capture, clock: w.clock, kubeConfig: api.kubeConfig });
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    expect(lines[0]).toMatchObject({
      msg: 'idle stop needs metrics-server; CPU activity unavailable, so no instance is stopped as idle',
      reason: 'no CPU samples: metrics API missing (metrics.k8s.io not registered)',
    });
    // Serving: nothing to say.
    api.mode = 'serving';
    const before = api.requests.length;
    createJobs(w.provisioner, { log: capture, clock: w.clock, kubeConfig: api.kubeConfig });
    await vi.waitFor(() => expect(api.requests.length).toBe(before + 1));
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toHaveLength(1);
  });
});
