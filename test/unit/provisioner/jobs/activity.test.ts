import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MetricsActivityOptions, MetricsActivitySource } from '../../../../provisioner/jobs/activity.ts';
import type { ActivityTarget, SshSessionSource } from '../../../../provisioner/jobs/activity-signals.ts';
import { cpuPercent, cpuSignal } from '../../../../provisioner/jobs/pod-metrics.ts';
import { FakeMetricsApi, managedLabels } from './fake-metrics-api.ts';

const NOW = new Date('2026-01-05T09:00:00Z');
const instance = (id: string, cpu = 4): ActivityTarget => ({
  id,
  name: id.slice(0, -6),
  ownerId: 'U1',
  cpu,
  node: 'dev-1',
  sshHost: null,
  sshPort: null,
});

const api = new FakeMetricsApi({ namespace: 'ns', now: () => NOW });
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.mode = 'serving';
  api.delayMs = 0;
  api.pods.clear();
  api.requests.length = 0;
  api.set(
    { name: 'busy-aaaaa', labels: managedLabels('busy-aaaaa'), cpu: ['1500m'] },
    { name: 'quiet-aaaaa', labels: managedLabels('quiet-aaaaa'), cpu: ['12000000n'] },
  );
});

const source = (o: Partial<MetricsActivityOptions> = {}) =>
  new MetricsActivitySource({ kubeConfig: api.kubeConfig, namespace: 'ns', ...o });
const cpuOf = async (s: MetricsActivitySource, ...targets: ActivityTarget[]) => {
  const samples = await s.sampleAll(targets, NOW);
  return targets.map((t) => samples.get(t.id)?.cpu);
};

describe('PodMetrics → CPU signal', () => {
  it('turns container CPU usage into a percent of the instance’s CPUs', () => {
    expect(
      cpuPercent({ containers: [{ usage: { cpu: '500m' } }, { usage: { cpu: '250000000n' } }] }, 2),
    ).toBe(37.5);
    expect(cpuPercent({ containers: [{ usage: { cpu: '2' } }] }, 4)).toBe(50);
    expect(cpuPercent({ containers: [] }, 4)).toBeUndefined();
    expect(cpuPercent({ containers: [{ usage: { cpu: 'lots' } }] }, 4)).toBeUndefined();
  });

  it('counts no sample, an undated one and a stale one as unavailable', () => {
    const o = { cpus: 2, now: NOW, maxAgeMs: 300_000 };
    const at = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
    const usage = [{ usage: { cpu: '1' } }];
    expect(cpuSignal({ timestamp: at(300_000), containers: usage }, o)).toEqual({
      available: true,
      percent: 50,
    });
    expect(cpuSignal({ timestamp: at(300_001), containers: usage }, o)).toEqual({
      available: false,
      reason: 'stale CPU sample (taken 2026-01-05T08:54:59.999Z)',
    });
    expect(cpuSignal({ containers: usage }, o)).toMatchObject({ available: false });
    expect(cpuSignal(undefined, o)).toMatchObject({ available: false });
    expect(cpuSignal({ timestamp: at(0), containers: [] }, o)).toMatchObject({ available: false });
  });
});

describe('activity from metrics.k8s.io', () => {
  it('lists the namespace’s PodMetrics once per pass, whatever the number of instances', async () => {
    const many = Array.from({ length: 500 }, (_, n) => `m${n}-aaaaa`);
    for (const id of many) api.set({ name: id, labels: managedLabels(id), cpu: ['100m'] });
    const s = source();
    await s.sampleAll([instance('busy-aaaaa')], NOW);
    expect(api.requests).toHaveLength(1);
    const samples = await s.sampleAll(
      many.map((id) => instance(id, 1)),
      NOW,
    );
    expect(api.requests).toEqual([
      'GET /apis/metrics.k8s.io/v1beta1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dtispace',
      'GET /apis/metrics.k8s.io/v1beta1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dtispace',
    ]);
    expect(samples.size).toBe(500);
    expect([...samples.values()].every((x) => x.cpu.available && Math.abs(x.cpu.percent - 10) < 1e-9)).toBe(
      true,
    );
    await s.sampleAll([], NOW);
    expect(api.requests).toHaveLength(2);
  });

  it('matches PodMetrics to instances by Pod name, summing containers against the instance’s CPUs', async () => {
    api.set({ name: 'two-aaaaa', labels: managedLabels('two-aaaaa'), cpu: ['250m', '1234567n'] });
    const [busy, quiet, two] = await cpuOf(
      source(),
      instance('busy-aaaaa', 4),
      instance('quiet-aaaaa', 2),
      instance('two-aaaaa', 1),
    );
    expect(busy).toEqual({ available: true, percent: 37.5 });
    expect(quiet?.available && quiet.percent).toBeCloseTo(0.6);
    expect(two?.available && two.percent).toBeCloseTo(25.1234567);
  });

  it('counts a Pod missing from the list, another’s Pod, or a stale sample as unavailable', async () => {
    api.set(
      { name: 'foreign-aaaaa', labels: { app: 'someone-else' }, cpu: ['0'] },
      {
        name: 'stale-aaaaa',
        labels: managedLabels('stale-aaaaa'),
        cpu: ['0'],
        timestamp: new Date(NOW.getTime() - 3_600_000).toISOString(),
      },
    );
    const [gone, foreign, stale, quiet] = await cpuOf(
      source(),
      instance('gone-aaaaa'),
      instance('foreign-aaaaa'),
      instance('stale-aaaaa'),
      instance('quiet-aaaaa'),
    );
    expect(gone).toEqual({
      available: false,
      reason: 'no CPU sample for the Pod (not running or not scraped yet)',
    });
    // The label selector keeps Pods TiSpace does not manage out of the list.
    expect(foreign).toEqual(gone);
    expect(stale).toEqual({ available: false, reason: 'stale CPU sample (taken 2026-01-05T08:00:00.000Z)' });
    expect(quiet?.available).toBe(true);
    expect(api.requests).toHaveLength(1);
  });

  it('reports a missing (404), refused (403), failing (503) or silent metrics API as unavailable for all', async () => {
    const reasons = async () =>
      (await cpuOf(source({ timeoutMs: 100 }), instance('busy-aaaaa'), instance('quiet-aaaaa'))).map((c) =>
        c?.available ? 'available' : c?.reason,
      );
    api.mode = 'absent';
    expect(await reasons()).toEqual(
      Array(2).fill('no CPU samples: metrics API missing (metrics.k8s.io not registered)'),
    );
    api.mode = 'forbidden';
    expect(await reasons()).toEqual(Array(2).fill('no CPU samples: not allowed to list pods.metrics.k8s.io'));
    api.mode = 'unavailable';
    expect(await reasons()).toEqual(
      Array(2).fill('metrics API error: the server is currently unable to handle the request'),
    );
    api.mode = 'serving';
    api.delayMs = 2_000;
    expect(await reasons()).toEqual(Array(2).fill('metrics API error: no answer within 100 ms'));
    expect(api.requests).toHaveLength(4);
  });

  it('samples only Pods that carry TiSpace’s labels for the instance', async () => {
    const pods = new Map<string, unknown>([
      ['busy-aaaaa', { metadata: { name: 'busy-aaaaa', labels: managedLabels('busy-aaaaa') } }],
      ['quiet-aaaaa', { metadata: { name: 'quiet-aaaaa', labels: { app: 'someone-else' } } }],
    ]);
    const [busy, quiet, gone] = await cpuOf(
      source({ pods: { get: (name) => pods.get(name) as never } }),
      instance('busy-aaaaa'),
      instance('quiet-aaaaa'),
      instance('gone-aaaaa'),
    );
    expect(busy?.available).toBe(true);
    expect(quiet).toEqual({ available: false, reason: "Pod quiet-aaaaa is not TiSpace's" });
    expect(gone).toEqual({ available: false, reason: 'no Pod' });
  });

  it('combines an SSH session source, whose failure is only "unavailable"', async () => {
    const ssh: SshSessionSource = {
      sessions: async (i) => {
        if (i.id === 'busy-aaaaa')
          return { available: true, activeSessions: 2, openSince: NOW.toISOString(), lastSessionAt: null };
        throw new Error('gateway tracker broken');
      },
    };
    const samples = await source({ ssh }).sampleAll([instance('busy-aaaaa'), instance('quiet-aaaaa')], NOW);
    expect(samples.get('busy-aaaaa')?.ssh).toEqual({
      available: true,
      activeSessions: 2,
      openSince: NOW.toISOString(),
      lastSessionAt: null,
    });
    expect(samples.get('quiet-aaaaa')?.ssh).toEqual({
      available: false,
      reason: 'SSH session source failed: gateway tracker broken',
    });
    const none = await source().sampleAll([instance('busy-aaaaa')], NOW);
    expect(none.get('busy-aaaaa')?.ssh).toEqual({
      available: false,
      reason: 'no SSH session source configured',
    });
  });
});
