// Idle stop with the SSH gateway's session reports, on the real API server: the reported peer is matched to
// the machine through its real ClusterIP Service (the provisioner's Service cache). A machine with an open
// session and 0 % CPU is not stopped; once the session closes it is warned and stopped, and the notices
// say since when nobody was logged in.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../provisioner/clock.ts';
import { MetricsActivitySource } from '../../provisioner/jobs/activity.ts';
import type { Jobs } from '../../provisioner/jobs/scheduler.ts';
import { formatLocalTime } from '../../provisioner/jobs/time.ts';
import type { JobNotice } from '../../provisioner/notifier.ts';
import { createJobs, type Provisioner } from '../../provisioner/provisioner.ts';
import { GATEWAY_REPORT_INTERVAL_MS } from '../../provisioner/ssh/gateway-sessions.ts';
import { namespaceConfig } from '../support/config.ts';
import { H, MIN } from '../support/durations.ts';
import { silentLog as log } from '../support/log.ts';
import { FakeMetricsApi, managedLabels } from '../unit/provisioner/jobs/fake-metrics-api.ts';
import { linkUser, RecordingNotifier } from '../unit/provisioner/jobs/support.ts';
import { kubeConfig } from './support/cluster.ts';
import { useProvisioner, waitForInstance } from './support/provisioner.ts';

const clock = new ManualClock(Date.now());
const notifier = new RecordingNotifier();
const t = useProvisioner('idle-ssh', (namespace) => ({
  // No quiet hours: the notices go out at whatever hour the test runs.
  config: namespaceConfig(namespace, { policy: { quietHours: { start: 0, end: 0 } } }),
  clock,
  notifier,
}));
let metrics: FakeMetricsApi;
beforeAll(async () => {
  metrics = new FakeMetricsApi({ namespace: t.ns.name, now: () => clock.now() });
  await metrics.start();
});
afterAll(() => metrics?.stop());

const owner = { userId: 'UIDLE', teamId: 'T1' };
const notices = <K extends JobNotice['kind']>(kind: K) =>
  notifier.notices.map((n) => n.notice).filter((n): n is Extract<JobNotice, { kind: K }> => n.kind === kind);

describe('idle stop with SSH sessions reported by the gateway', () => {
  it('keeps a machine with an open session at 0 % CPU; after it closes, warns and stops "no SSH session since"', async () => {
    const p: Provisioner = t.p;
    linkUser(p.store, clock, owner.userId, 'idle@corp.com');
    p.api.addKey(
      owner,
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMeHyLz6J5ufUbDkH0yCDZ4YxI+iZ3qYm0dqhsWT4XJx idle@test',
    );
    const created = await p.api.create(owner, { name: 'quiet', cpu: 1, memoryGiB: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await waitForInstance(p, id, (i) => i.phase === 'running', 'running');
    const svc = await kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: `${id}-ssh`, namespace: t.ns.name });
    const peer = `${svc.spec!.clusterIP}:22`;
    // Nobody uses the CPU.
    metrics.set({ name: id, labels: managedLabels(id), cpu: ['0'] });
    const jobs: Jobs = createJobs(p, {
      log,
      clock,
      activity: new MetricsActivitySource({
        kubeConfig: metrics.kubeConfig,
        namespace: t.ns.name,
        pods: p.world.pods,
        ssh: p.gatewaySessions,
      }),
    });
    // The gateway reports every 30 s (a gateway silent for longer than 90 s no longer counts).
    const report = (...peers: string[]) =>
      p.gatewaySessions.reportGatewaySessions({
        gateway: 'gw-0',
        connections: peers.map((x) => ({ peer: x })),
      });
    const keepReporting = (ms: number, peers: string[]) => {
      for (let left = ms; left > 0; left -= GATEWAY_REPORT_INTERVAL_MS) {
        clock.advance(Math.min(left, GATEWAY_REPORT_INTERVAL_MS));
        report(...peers);
      }
    };
    const pass = async (peers: string[]) => {
      expect(report(...peers)).toEqual({ ok: true, value: { credited: peers.length } });
      return jobs.runOnce('idle');
    };

    // Logged in for 8 hours at 0 % CPU: not idle.
    const loggedIn = clock.now();
    await pass([peer]);
    keepReporting(8 * H, [peer]);
    expect((await jobs.dryRun()).filter((a) => a.instanceId === id)).toEqual([]);
    await pass([peer]);
    expect(notices('idle-warning')).toEqual([]);
    expect(p.store.instances.get(id)).toMatchObject({
      desired: 'running',
      lastActiveAt: clock.now().toISOString(),
    });
    expect(p.gatewaySessions.signal({ id, ownerId: owner.userId }, clock.now())).toMatchObject({
      activeSessions: 1,
      openSince: loggedIn.toISOString(),
    });

    // Logged out: the first report without it is when the session ended.
    keepReporting(15 * MIN, [peer]);
    clock.advance(GATEWAY_REPORT_INTERVAL_MS);
    const loggedOut = clock.now();
    await pass([]);
    keepReporting(6 * H, []);
    await pass([]);
    const [warning] = notices('idle-warning');
    expect(warning?.instance.id).toBe(id);
    // Times in the owner's zone (none set: UTC), as formatLocalTime writes them at that moment.
    const since = () => formatLocalTime(loggedOut, clock.now(), null);
    expect(warning?.evidence).toBe(`CPU under 2 % for 6 h, no SSH session since ${since()}`);

    // The grace runs out with nobody back: stopped, and the notice says the same.
    keepReporting(2 * H, []);
    await pass([]);
    await waitForInstance(p, id, (i) => i.phase === 'stopped', 'stopped as idle');
    const [stopped] = notices('idle-stopped');
    expect(stopped?.evidence).toBe(`CPU under 2 % for 8 h, no SSH session since ${since()}`);
  });
});
