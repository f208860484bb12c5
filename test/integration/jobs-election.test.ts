// Two jobs runners at once (two Jobs objects, two SQLite connections to one file, distinct identities):
// a Kubernetes Lease elects one; claims make every reminder and action happen once even if both run.

import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../provisioner/clock.ts';
import { JOBS_LEASE_NAME, LeaderElector } from '../../provisioner/jobs/leader.ts';
import type { Jobs } from '../../provisioner/jobs/scheduler.ts';
import { createJobs, type Provisioner } from '../../provisioner/provisioner.ts';
import { testConfig } from '../support/config.ts';
import { D, H } from '../support/durations.ts';
import { silentLog as log } from '../support/log.ts';
import { offlineProvisioner } from '../support/offline-provisioner.ts';
import { tempDbPath } from '../support/temp.ts';
import { insertInstance, linkUser, RecordingNotifier } from '../unit/provisioner/jobs/support.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';

const ns = useNamespace('jobs-elect');
const everySecond = '* * * * * *';

const started: Jobs[] = [];
const stores: Provisioner[] = [];
afterEach(async () => {
  for (const j of started.splice(0)) await j.stop();
  for (const p of stores.splice(0)) p.store.close();
});

describe('jobs leader election', () => {
  it('elects one runner with a Lease; two runners never double-send or double-act', async () => {
    const config = testConfig({
      namespace: ns.name,
      policy: { quietHours: { start: 0, end: 0 } },
      jobs: { reminders: everySecond, expiry: everySecond, idle: everySecond, retention: everySecond },
    });
    const clock = new ManualClock(Date.now());
    const notifier = new RecordingNotifier();
    const path = tempDbPath();
    // The jobs need the store and the service, not the reconciler: these Provisioners are never started.
    const runner = (identity: string) => {
      const p = offlineProvisioner({ config, store: path, clock, notifier });
      stores.push(p);
      const jobs = createJobs(p, {
        log,
        clock,
        identity,
        kubeConfig: kubeConfig(),
        election: { leaseDurationSeconds: 4, renewDeadlineSeconds: 1 },
      });
      return { p, jobs };
    };
    const a = runner('runner-a');
    const b = runner('runner-b');
    linkUser(a.p.store, clock, 'U1', 'dev@corp.com');
    const ids = ['one', 'two', 'three'].map(
      (name) =>
        insertInstance(a.p.store, clock, {
          name,
          leaseEndsAt: new Date(clock.now().getTime() + 2 * D).toISOString(),
        }).id,
    );

    a.jobs.start();
    b.jobs.start();
    started.push(a.jobs, b.jobs);
    const coordination = kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await waitFor(
      async () => {
        const l = await coordination.readNamespacedLease({ name: JOBS_LEASE_NAME, namespace: ns.name });
        return a.jobs.isLeader !== b.jobs.isLeader ? l : undefined;
      },
      { timeoutMs: 20_000, what: 'one leader' },
    );
    const leader = a.jobs.isLeader ? a : b;
    const follower = leader === a ? b : a;
    expect(lease.spec?.holderIdentity).toBe(leader.jobs.identity);
    expect(lease.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tispace' });

    // Reminders become due; the schedules fire every second on both runners.
    clock.advance(D);
    await waitFor(async () => (notifier.notices.length >= 3 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'three lease reminders',
    });
    // Both run by hand too, at the same time: the claims hold.
    await Promise.all([a.jobs.runOnce('reminders'), b.jobs.runOnce('reminders')]);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(notifier.kinds()).toEqual(['lease-reminder', 'lease-reminder', 'lease-reminder']);
    expect(
      notifier.notices.map((n) => n.notice.kind === 'lease-reminder' && n.notice.instance.id).sort(),
    ).toEqual([...ids].sort());
    expect(follower.jobs.isLeader).toBe(false);

    // The leader goes away and hands the Lease back: the other takes over and does the rest, once.
    await leader.jobs.stop();
    await waitFor(async () => (follower.jobs.isLeader ? true : undefined), {
      timeoutMs: 20_000,
      what: `${follower.jobs.identity} to take over`,
    });
    const after = await coordination.readNamespacedLease({ name: JOBS_LEASE_NAME, namespace: ns.name });
    expect(after.spec).toMatchObject({ holderIdentity: follower.jobs.identity, leaseTransitions: 1 });
    clock.advance(D + H);
    await waitFor(
      async () => (ids.every((id) => a.p.store.instances.get(id)?.desired === 'stopped') ? true : undefined),
      { timeoutMs: 20_000, what: 'expired instances stopped' },
    );
    await Promise.all([a.jobs.runOnce('expiry'), b.jobs.runOnce('expiry')]);
    await new Promise((r) => setTimeout(r, 2_000));
    for (const id of ids) {
      const stops = a.p.store.audit.forInstance(id).filter((e) => e.action === 'stop');
      expect(stops).toMatchObject([{ actor: 'system' }]);
    }
    expect(notifier.kinds().filter((k) => k === 'lease-expired')).toHaveLength(3);
    expect(notifier.kinds().filter((k) => k === 'lease-reminder')).toHaveLength(3);
  });

  it('leaves a same-named Lease that is not TiSpace’s alone', async () => {
    const coordination = kubeConfig().makeApiClient(CoordinationV1Api);
    const other = `${ns.name}-foreign`;
    await coordination.createNamespacedLease({
      namespace: ns.name,
      body: { metadata: { name: other }, spec: { holderIdentity: 'someone', leaseDurationSeconds: 1 } },
    });
    const elector = new LeaderElector({
      kubeConfig: kubeConfig(),
      namespace: ns.name,
      name: other,
      identity: 'me',
      clock: new ManualClock(Date.now() + 60_000),
      log,
    });
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    const untouched = await coordination.readNamespacedLease({ name: other, namespace: ns.name });
    expect(untouched.spec?.holderIdentity).toBe('someone');
  });
});
