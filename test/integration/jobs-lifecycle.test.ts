// The scheduled jobs against the real control plane: the whole lease → expiry → retention → snapshot →
// restore chain, and a crash between the final snapshot and the disk deletion.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  type V1PersistentVolumeClaim,
} from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../provisioner/clock.ts';
import type { TiSpaceConfig } from '../../provisioner/config/schema.ts';
import { type KubeActions, kubeActions } from '../../provisioner/kube/actions.ts';
import type { JobNotice } from '../../provisioner/notifier.ts';
import { createJobs, Provisioner } from '../../provisioner/provisioner.ts';
import type { StoredInstance } from '../../provisioner/store/instances-repo.ts';
import { testConfig } from '../support/config.ts';
import { D, H } from '../support/durations.ts';
import { silentLog as log } from '../support/log.ts';
import { simulatedNodeHostKeys } from '../support/simulated-host-keys.ts';
import { tempDbPath } from '../support/temp.ts';
import { linkUser, RecordingNotifier } from '../unit/provisioner/jobs/support.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { publishGoldenImage } from './support/provisioner.ts';

const ns = useNamespace('jobs-life');
const HOLD = 'tispace.test/hold';
const snapshots = { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' };
const owner = { userId: 'U1', teamId: 'T1' };

const core = () => kubeConfig().makeApiClient(CoreV1Api);
const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);

interface Snapshot extends KubernetesObject {
  status?: { readyToUse?: boolean };
}

async function readSnapshot(name: string): Promise<Snapshot | undefined> {
  try {
    return (await custom().getNamespacedCustomObject({ ...snapshots, namespace: ns.name, name })) as Snapshot;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function readPvc(name: string): Promise<V1PersistentVolumeClaim | undefined> {
  try {
    return await core().readNamespacedPersistentVolumeClaim({ name, namespace: ns.name });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

// The golden image the instances' disks are cloned from: a PVC and a ready VolumeSnapshot of it.
beforeAll(() => publishGoldenImage(ns.name));

/**
 * Test seam through the Provisioner's `kube` option: final snapshots named in `held` are created with the
 * fake CSI's hold annotation, so they stay not ready until the test removes it.
 */
function holdingKube(held: Set<string>): KubeActions {
  const real = kubeActions(kubeConfig());
  return {
    ...real,
    requests: real.requests,
    create(object) {
      const name = object.metadata?.name ?? '';
      if (object.kind === 'VolumeSnapshot' && held.has(name))
        return real.create({
          ...object,
          metadata: { ...object.metadata, annotations: { ...object.metadata?.annotations, [HOLD]: 'true' } },
        });
      return real.create(object);
    },
  };
}

interface Setup {
  config: TiSpaceConfig;
  clock: ManualClock;
  notifier: RecordingNotifier;
  path: string;
}

const running: Provisioner[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    await p.stop();
    p.store.close();
  }
});

function setup(): Setup {
  return {
    // No quiet hours: the test's clock starts at whatever hour it is.
    config: testConfig({
      namespace: ns.name,
      resyncSeconds: 2,
      policy: { quietHours: { start: 0, end: 0 } },
    }),
    // Real time to start with (the API server's timestamps agree), then moved by the test.
    clock: new ManualClock(Date.now()),
    notifier: new RecordingNotifier(),
    path: tempDbPath(),
  };
}

async function startProvisioner(
  s: Setup,
  extra: { kube?: KubeActions; beforeStep?: (step: string, id: string) => void } = {},
): Promise<Provisioner> {
  const p = new Provisioner({
    config: s.config,
    kubeConfig: kubeConfig(),
    store: s.path,
    log,
    clock: s.clock,
    notifier: s.notifier,
    hostKeys: simulatedNodeHostKeys,
    ...extra,
  });
  running.push(p);
  await p.start();
  return p;
}

const phaseOf = (p: Provisioner, id: string, phase: StoredInstance['phase'], timeoutMs = 60_000) =>
  waitFor(
    async () => {
      const i = p.store.instances.get(id);
      return i?.phase === phase ? i : undefined;
    },
    { timeoutMs, what: `instance ${id} ${phase} (is ${p.store.instances.get(id)?.phase})` },
  );

const noticesOf = <K extends JobNotice['kind']>(n: RecordingNotifier, kind: K, id?: string) =>
  n.notices
    .map((x) => x.notice)
    .filter((x): x is Extract<JobNotice, { kind: K }> => x.kind === kind)
    .filter((x) => !id || ('instance' in x && x.instance.id === id));

async function create(p: Provisioner, name: string, lease: string): Promise<StoredInstance> {
  const created = await p.api.create(owner, { name, lease, size: 'small', diskGiB: 20 });
  if (!created.ok) throw new Error(created.error.message);
  return phaseOf(p, created.value.id, 'running');
}

describe('scheduled jobs on a real control plane', () => {
  it('walks create → reminders → extend → expiry stop → retention → snapshot → restore → snapshot expiry', async () => {
    const s = setup();
    const held = new Set<string>();
    const p = await startProvisioner(s, { kube: holdingKube(held) });
    linkUser(p.store, s.clock, 'U1', 'dev@corp.com');
    // With the cluster's kubeConfig, idle detection asks metrics.k8s.io (absent here: never idle).
    const jobs = createJobs(p, { log, clock: s.clock, kubeConfig: kubeConfig() });
    const runAll = async () => {
      for (const kind of ['reminders', 'expiry', 'idle', 'retention'] as const) await jobs.runOnce(kind);
    };

    const alpha = await create(p, 'alpha', '2d');
    const beta = await create(p, 'beta', '2d');
    const end = Date.parse(alpha.leaseEndsAt);
    held.add(`${alpha.id}-final`);

    // 24 h before the end: a reminder with the extend options; the owner extends by the first one.
    s.clock.set(Math.max(end, Date.parse(beta.leaseEndsAt)) - D);
    await runAll();
    await runAll();
    const [reminder] = noticesOf(s.notifier, 'lease-reminder', alpha.id);
    expect(noticesOf(s.notifier, 'lease-reminder')).toHaveLength(2);
    expect(reminder).toMatchObject({ final: false, buttons: { extendOptions: [D, 3 * D, 7 * D] } });
    const extended = p.api.extend(owner, 'alpha', reminder!.buttons.extendOptions[0]!);
    expect(extended.ok).toBe(true);
    const newEnd = end + D;

    // The extension re-armed alpha's reminders; beta gets its final one and expires.
    s.clock.set(end - H);
    await runAll();
    expect(noticesOf(s.notifier, 'lease-reminder', beta.id).map((r) => r.final)).toEqual([false, true]);
    expect(noticesOf(s.notifier, 'lease-reminder', alpha.id)).toHaveLength(1);
    s.clock.set(end);
    await runAll();
    expect(p.store.instances.get(alpha.id)?.desired).toBe('running');
    expect(p.store.instances.get(beta.id)?.desired).toBe('stopped');
    s.clock.set(newEnd - D);
    await runAll();
    s.clock.set(newEnd - H);
    await runAll();
    expect(noticesOf(s.notifier, 'lease-reminder', alpha.id).map((r) => [r.final, r.endsAt])).toEqual([
      [false, alpha.leaseEndsAt],
      [false, new Date(newEnd).toISOString()],
      [true, new Date(newEnd).toISOString()],
    ]);

    // Expiry: stopped (Pod deleted, disk kept), audited as the system, told once.
    s.clock.set(newEnd);
    await runAll();
    await runAll();
    const stopped = await phaseOf(p, alpha.id, 'stopped');
    expect(
      noticesOf(s.notifier, 'lease-expired')
        .map((n) => n.instance.id)
        .sort(),
    ).toEqual([alpha.id, beta.id].sort());
    expect(p.store.audit.forInstance(alpha.id).filter((e) => e.action === 'stop')).toMatchObject([
      { actor: 'system', reason: expect.stringMatching(/^lease expired/) },
    ]);
    expect(await readPvc(`${alpha.id}-root`)).toBeDefined();
    await phaseOf(p, beta.id, 'stopped');

    // Retention: reminders 3 d and 1 d before the deletion date, then the delete.
    const stoppedAt = Date.parse(stopped.stoppedAt!);
    s.clock.set(stoppedAt + 11 * D + H);
    await runAll();
    s.clock.set(stoppedAt + 13 * D + H);
    await runAll();
    await runAll();
    expect(noticesOf(s.notifier, 'retention-reminder', alpha.id).map((r) => r.final)).toEqual([false, true]);
    s.clock.set(stoppedAt + 14 * D + 2 * H);
    await runAll();
    expect(p.store.instances.get(alpha.id)).toMatchObject({ desired: 'deleted' });
    expect(p.store.instances.get(beta.id)).toMatchObject({ desired: 'deleted' });

    // The disk is not deleted while its snapshot is not ready.
    const finalName = `${alpha.id}-final`;
    await waitFor(async () => ((await readSnapshot(finalName)) ? true : undefined), {
      timeoutMs: 30_000,
      what: `snapshot ${finalName} created`,
    });
    await phaseOf(p, beta.id, 'deleted');
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await readSnapshot(finalName))?.status?.readyToUse).not.toBe(true);
    expect(await readPvc(`${alpha.id}-root`)).toBeDefined();
    expect(p.store.instances.get(alpha.id)?.phase).toBe('deleting');
    await runAll();
    expect(noticesOf(s.notifier, 'snapshot-taken', alpha.id)).toEqual([]);

    await custom().patchNamespacedCustomObject({
      ...snapshots,
      namespace: ns.name,
      name: finalName,
      body: [{ op: 'remove', path: '/metadata/annotations/tispace.test~1hold' }],
    });
    const deleted = await phaseOf(p, alpha.id, 'deleted');
    expect(deleted.snapshotName).toBe(finalName);
    await waitFor(async () => ((await readPvc(`${alpha.id}-root`)) ? undefined : true), {
      timeoutMs: 30_000,
      what: 'PVC deleted after the snapshot',
    });
    await runAll();
    await runAll();
    expect(
      noticesOf(s.notifier, 'snapshot-taken')
        .map((n) => [n.instance.id, n.restoreUntil])
        .sort(),
    ).toEqual(
      [
        [alpha.id, deleted.snapshotExpiresAt],
        [beta.id, p.store.instances.get(beta.id)?.snapshotExpiresAt],
      ].sort(),
    );

    // Restore alpha within the grace: a new disk cloned from the final snapshot.
    const restored = await p.api.restore(owner, 'alpha');
    expect(restored.ok).toBe(true);
    await phaseOf(p, alpha.id, 'running');
    expect((await readPvc(`${alpha.id}-root`))?.spec?.dataSource?.name).toBe(finalName);

    // Beta's snapshot expires after the grace and goes; it can no longer be restored.
    const betaSnapshot = `${beta.id}-final`;
    expect(await readSnapshot(betaSnapshot)).toBeDefined();
    s.clock.set(Date.parse(p.store.instances.get(beta.id)!.snapshotExpiresAt!) + 1);
    p.reconciler.resync();
    await waitFor(async () => ((await readSnapshot(betaSnapshot)) ? undefined : true), {
      timeoutMs: 30_000,
      what: `snapshot ${betaSnapshot} deleted after the grace`,
    });
    // The store forgets the snapshot just after the delete call returns.
    await waitFor(async () => (p.store.instances.get(beta.id)?.snapshotName === null ? true : undefined), {
      timeoutMs: 10_000,
      what: `the store forgets ${betaSnapshot}`,
    });
    const late = await p.api.restore(owner, 'beta');
    expect(!late.ok && late.error.message).toMatch(/no restorable snapshot/);
    // What is left: the restored alpha got a fresh default lease, which has run out by now.
    expect((await jobs.dryRun()).map((a) => [a.instanceId, a.action])).toEqual([[alpha.id, 'stop-expired']]);
  });

  it('an undeliverable final reminder: the admins are told once and the machine is deleted on schedule with its snapshot', async () => {
    const s = setup();
    s.config = testConfig({
      namespace: ns.name,
      resyncSeconds: 2,
      policy: { retentionReminders: ['1d'], quietHours: { start: 0, end: 0 } },
    });
    const p = await startProvisioner(s);
    linkUser(p.store, s.clock, 'U1', 'dev@corp.com');
    const delta = await create(p, 'delta', '7d');
    expect(p.api.stop(owner, 'delta').ok).toBe(true);
    const stopped = await phaseOf(p, delta.id, 'stopped');
    const deadline = Date.parse(stopped.stoppedAt!) + 14 * D;
    const jobs = createJobs(p, { log, clock: s.clock });
    // The owner's Slack account is gone: every DM fails.
    s.notifier.failNext = Number.POSITIVE_INFINITY;
    s.clock.set(deadline - D + H);
    for (let run = 0; run < 6; run++) {
      await jobs.runOnce('retention');
      s.clock.advance(15 * 60_000);
    }
    expect(s.notifier.alerts).toHaveLength(1);
    expect(s.notifier.alerts[0]).toMatch(new RegExp(`final retention reminder for delta \\(${delta.id}\\)`));
    expect(p.store.instances.get(delta.id)).toMatchObject({ desired: 'stopped' });

    s.clock.set(deadline + 60_000);
    expect((await jobs.runOnce('retention')).acted.map((a) => a.action)).toEqual(['delete-retention']);
    const deleted = await phaseOf(p, delta.id, 'deleted');
    expect(deleted.snapshotName).toBe(`${delta.id}-final`);
    expect((await readSnapshot(`${delta.id}-final`))?.status?.readyToUse).toBe(true);
    await waitFor(async () => ((await readPvc(`${delta.id}-root`)) ? undefined : true), {
      timeoutMs: 30_000,
      what: 'PVC deleted after the snapshot',
    });
    await jobs.runOnce('retention');
    expect(s.notifier.alerts).toHaveLength(1);
    expect(s.notifier.notices).toEqual([]);
  });

  it('resumes after a crash between the final snapshot and the disk deletion', async () => {
    const s = setup();
    s.config = testConfig({ namespace: ns.name, resyncSeconds: 2, policy: { retentionReminders: [] } });
    let crashed = false;
    const first = await startProvisioner(s, {
      beforeStep: (step) => {
        if (step === 'delete-pvc' || crashed) {
          crashed = true;
          throw new Error('crash before delete-pvc');
        }
      },
    });
    linkUser(first.store, s.clock, 'U1', 'dev@corp.com');
    const gamma = await create(first, 'gamma', '7d');
    expect(first.api.stop(owner, 'gamma').ok).toBe(true);
    const stopped = await phaseOf(first, gamma.id, 'stopped');
    s.clock.set(Date.parse(stopped.stoppedAt!) + 14 * D);
    const jobs = createJobs(first, { log, clock: s.clock });
    expect((await jobs.runOnce('retention')).acted.map((a) => a.action)).toEqual(['delete-retention']);

    await waitFor(async () => (crashed ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the crash at delete-pvc',
    });
    await first.stop();
    // The restore window was recorded before the disk was to go; the disk is still there.
    const mid = first.store.instances.get(gamma.id)!;
    expect(mid).toMatchObject({ phase: 'deleting', snapshotName: `${gamma.id}-final` });
    expect(mid.snapshotExpiresAt).toBeTruthy();
    expect((await readSnapshot(`${gamma.id}-final`))?.status?.readyToUse).toBe(true);
    expect(await readPvc(`${gamma.id}-root`)).toBeDefined();
    expect(await jobs.runOnce('retention')).toMatchObject({ acted: [] });

    const second = await startProvisioner(s);
    const done = await phaseOf(second, gamma.id, 'deleted');
    expect(done.snapshotExpiresAt).toBe(mid.snapshotExpiresAt);
    await waitFor(async () => ((await readPvc(`${gamma.id}-root`)) ? undefined : true), {
      timeoutMs: 30_000,
      what: 'PVC deleted by the new provisioner',
    });
    const resumed = createJobs(second, { log, clock: s.clock, identity: 'after-crash' });
    await resumed.runOnce('retention');
    await resumed.runOnce('retention');
    expect(noticesOf(s.notifier, 'snapshot-taken', gamma.id)).toMatchObject([
      { restoreUntil: mid.snapshotExpiresAt },
    ]);
    expect(second.store.audit.forInstance(gamma.id).filter((e) => e.action === 'delete')).toHaveLength(1);
  });
});
