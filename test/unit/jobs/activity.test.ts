import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cpuPercent,
  MetricsActivitySource,
  type SshSessionSource,
} from '../../../provisioner/jobs/activity.ts';
import type { StoredInstance } from '../../../provisioner/store/instances-repo.ts';

const instance = (id: string, cpu = 4) => ({ id, cpu }) as StoredInstance;
const managed = (id: string) => ({
  metadata: { name: id, labels: { 'app.kubernetes.io/managed-by': 'tispace', 'tispace.io/instance': id } },
});

// A stand-in for the resource metrics API: answers GET /apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/<pod>.
let server: Server;
const requests: string[] = [];
const kc = new KubeConfig();
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/ns\/pods\/([^/?]+)/.exec(req.url ?? '');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m)
      return send(404, {
        kind: 'Status',
        code: 404,
        message: 'the server could not find the requested resource',
      });
    if (m[1] === 'busy-aaaaa')
      return send(200, {
        kind: 'PodMetrics',
        containers: [{ name: 'instance', usage: { cpu: '1500m', memory: '1Gi' } }],
      });
    if (m[1] === 'quiet-aaaaa')
      return send(200, {
        kind: 'PodMetrics',
        containers: [{ name: 'instance', usage: { cpu: '12000000n' } }],
      });
    if (m[1] === 'broken-aaaaa')
      return send(503, { kind: 'Status', code: 503, message: 'metrics unavailable' });
    return send(404, { kind: 'Status', code: 404, message: 'podmetrics not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('activity from metrics.k8s.io', () => {
  it('turns container CPU usage into a percent of the instance’s CPUs', () => {
    expect(
      cpuPercent({ containers: [{ usage: { cpu: '500m' } }, { usage: { cpu: '250000000n' } }] }, 2),
    ).toBe(37.5);
    expect(cpuPercent({ containers: [{ usage: { cpu: '2' } }] }, 4)).toBe(50);
    expect(cpuPercent({ containers: [] }, 4)).toBeUndefined();
    expect(cpuPercent({ containers: [{ usage: { cpu: 'lots' } }] }, 4)).toBeUndefined();
  });

  it('GETs the PodMetrics of the instance’s Pod', async () => {
    const source = new MetricsActivitySource({ kubeConfig: kc, namespace: 'ns' });
    expect((await source.sample(instance('busy-aaaaa', 4))).cpu).toEqual({ available: true, percent: 37.5 });
    const quiet = await source.sample(instance('quiet-aaaaa', 2));
    expect(quiet.cpu.available && quiet.cpu.percent).toBeCloseTo(0.6);
    expect(quiet.ssh).toEqual({ available: false, reason: 'no SSH session source configured' });
    expect(requests).toContain('/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/busy-aaaaa');
  });

  it('reports a missing or failing metrics API, or no sample, as unavailable', async () => {
    const source = new MetricsActivitySource({ kubeConfig: kc, namespace: 'ns' });
    expect((await source.sample(instance('unknown-aaaaa'))).cpu).toMatchObject({ available: false });
    const broken = (await source.sample(instance('broken-aaaaa'))).cpu;
    expect(broken).toMatchObject({ available: false });
    expect(!broken.available && broken.reason).toMatch(/metrics API error/);
  });

  it('samples only Pods that carry TiSpace’s labels for the instance', async () => {
    const pods = new Map<string, unknown>([
      ['busy-aaaaa', managed('busy-aaaaa')],
      ['quiet-aaaaa', { metadata: { name: 'quiet-aaaaa', labels: { app: 'someone-else' } } }],
    ]);
    const source = new MetricsActivitySource({
      kubeConfig: kc,
      namespace: 'ns',
      pods: { get: (name) => pods.get(name) as never },
    });
    expect((await source.sample(instance('busy-aaaaa'))).cpu.available).toBe(true);
    expect((await source.sample(instance('quiet-aaaaa'))).cpu).toEqual({
      available: false,
      reason: "Pod quiet-aaaaa is not TiSpace's",
    });
    expect((await source.sample(instance('gone-aaaaa'))).cpu).toEqual({ available: false, reason: 'no Pod' });
  });

  it('combines an SSH session source, whose failure is only "unavailable"', async () => {
    const ssh: SshSessionSource = {
      sessions: async (i) => {
        if (i.id === 'busy-aaaaa') return { available: true, activeSessions: 2, lastSessionAt: null };
        throw new Error('sshd unreachable');
      },
    };
    const source = new MetricsActivitySource({ kubeConfig: kc, namespace: 'ns', ssh });
    expect((await source.sample(instance('busy-aaaaa'))).ssh).toEqual({
      available: true,
      activeSessions: 2,
      lastSessionAt: null,
    });
    expect((await source.sample(instance('quiet-aaaaa'))).ssh).toEqual({
      available: false,
      reason: 'SSH session source failed: sshd unreachable',
    });
  });
});
