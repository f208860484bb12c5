// The provisioner against the real control plane: create → scheduled by kube-scheduler, Running and Ready
// via KWOK → SSH host keys read → running at its stable name; stop/start on the same disk (and host keys);
// an instance Service from before the SSH gateway converted to ClusterIP; delete leaves nothing; quota under
// concurrency.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type HostKeyReader, ManualClock } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { simulatedHostKey, simulatedNodeHostKeys } from '../support/simulated-host-keys.ts';
import { kubeConfig, waitFor } from './support/cluster.ts';
import {
  createRunning,
  labelledObjects,
  linkUser,
  useProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const clock = new ManualClock(new Date());
/** Host keys as simulated nodes give them (they have no sshd), counting reads; a test may make them fail. */
const hostKeyReads: string[] = [];
let hostKeyFailure: string | undefined;
const hostKeys: HostKeyReader = {
  read: async (address, port) => {
    hostKeyReads.push(address);
    return hostKeyFailure ? { ok: false, reason: hostKeyFailure } : simulatedNodeHostKeys.read(address, port);
  },
};
const t = useProvisioner('it-lifecycle', (namespace) => ({
  config: namespaceConfig(namespace, {
    policy: { snapshotGrace: '1d' },
    gateway: { host: 'gw.corp.example', port: 2222 },
  }),
  clock,
  hostKeys,
}));
const ns = t.ns;

describe('instance lifecycle', () => {
  it('creates a Kata Pod on a cloned Ceph disk that the scheduler binds and that becomes Ready, and reports the SSH command', async () => {
    const ana = linkUser(t.p, 'UANA', 'ana@corp.com');
    const created = await t.p.api.create(ana, { name: 'web1', cpu: 2, memoryGiB: 4, diskGiB: 30 });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const id = created.value.id;
    expect(id).toMatch(/^web1-[a-z0-9]{5}$/);

    const running = await waitForInstance(
      t.p,
      id,
      (i) => i.phase === 'running' && i.sshPort !== null,
      'running with SSH',
    );
    expect(running.node).toMatch(/^dev-[123]$/);
    // Reached by its stable name, through the gateway: `ssh -J tispace@gw.corp.example:2222 …`.
    expect(running.sshHost).toBe(`${id}-ssh.${ns.name}`);
    expect(running.sshPort).toBe(22);
    expect(running.sshJump).toBe('tispace@gw.corp.example:2222');
    expect(running.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Ready',
    });
    // Four creates and no read: a pass that runs before the watch shows what was just created does not
    // create it again (409) and read it back.
    expect(t.p.kube.requests).toEqual({ create: 4, apply: 0, delete: 0, read: 0 });

    const core = kubeConfig().makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: id, namespace: ns.name });
    expect(pod.spec?.nodeName).toBe(running.node);
    expect(pod.status?.qosClass).toBe('Guaranteed');
    expect(pod.spec?.runtimeClassName).toBe('kata');
    // The RuntimeClass admission added the Kata overhead, which capacity counts.
    expect(pod.spec?.overhead).toEqual({ cpu: '250m', memory: '320Mi' });
    // A ClusterIP Service: nothing opened on the nodes; its address is where the host keys were read.
    const svc = await core.readNamespacedService({ name: `${id}-ssh`, namespace: ns.name });
    expect(svc.spec?.type).toBe('ClusterIP');
    expect(svc.spec?.ports?.map((p) => [p.port, p.nodePort])).toEqual([[22, undefined]]);
    expect(running.hostKeys).toEqual([simulatedHostKey(svc.spec!.clusterIP!)]);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: `${id}-root`, namespace: ns.name });
    expect(pvc.status?.phase).toBe('Bound');
    expect(pvc.spec?.dataSource).toMatchObject({ kind: 'VolumeSnapshot', name: 'golden-ubuntu-22-04' });
  });

  it('stop deletes the Pod and keeps the disk; start runs a new Pod on the same PVC (same UID)', async () => {
    const ben = linkUser(t.p, 'UBEN');
    const id = await createRunning(t.p, ben, { name: 'box', cpu: 1, memoryGiB: 2 });
    const before = await labelledObjects(ns.name, id);
    const pvcUid = before.pvcs[0]?.metadata?.uid;
    const podUid = before.pods[0]?.metadata?.uid;
    expect(pvcUid).toBeDefined();

    expect(t.p.api.stop(ben, 'box').ok).toBe(true);
    await waitForInstance(t.p, id, (i) => i.phase === 'stopped', 'stopped');
    const stopped = await labelledObjects(ns.name, id);
    expect(stopped.pods).toHaveLength(0);
    expect(stopped.pvcs.map((x) => x.metadata?.uid)).toEqual([pvcUid]);

    const again = t.p.api.stop(ben, 'box');
    expect(!again.ok && again.error.message).toBe('box is already stopped');

    expect((await t.p.api.start(ben, 'box')).ok).toBe(true);
    await waitForInstance(t.p, id, (i) => i.phase === 'running', 'running again');
    const after = await labelledObjects(ns.name, id);
    expect(after.pvcs.map((x) => x.metadata?.uid)).toEqual([pvcUid]);
    expect(after.pods).toHaveLength(1);
    expect(after.pods[0]?.metadata?.uid).not.toBe(podUid);
  });

  it('running waits for the host key (SshReady WaitingForHostKey, retried); a restart keeps the keys read at first boot', async () => {
    const hal = linkUser(t.p, 'UHAL');
    hostKeyFailure =
      'no SSH host key from 10.96.0.99:22: sshd did not answer within 3 s or nothing listens there';
    // Whatever happens here, the other tests get their host keys.
    onTestFinished(() => {
      hostKeyFailure = undefined;
    });
    const created = await t.p.api.create(hal, { name: 'keys', cpu: 1, memoryGiB: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    const waiting = await waitForInstance(
      t.p,
      id,
      (i) => i.conditions.some((c) => c.reason === 'WaitingForHostKey'),
      'waiting for its host key',
    );
    expect(waiting.phase).toBe('provisioning');
    expect(waiting.sshHost).toBeNull();
    expect(waiting.conditions.find((c) => c.type === 'SshReady')).toMatchObject({
      status: 'False',
      reason: 'WaitingForHostKey',
      message: `cannot read the SSH host key yet: ${hostKeyFailure}`,
    });
    expect(waiting.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    // Retried on its own (no event comes): once sshd answers, it runs with the keys it presented.
    const tries = hostKeyReads.length;
    hostKeyFailure = undefined;
    const running = await waitForInstance(t.p, id, (i) => i.phase === 'running', 'running');
    expect(hostKeyReads.length).toBeGreaterThan(tries);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ name: `${id}-ssh`, namespace: ns.name });
    expect(running.hostKeys).toEqual([simulatedHostKey(svc.spec!.clusterIP!)]);
    expect(running.conditions.some((c) => c.type === 'SshReady')).toBe(false);

    // The keys live on the root disk: a stop and start runs again without reading them again.
    const reads = hostKeyReads.length;
    expect(t.p.api.stop(hal, 'keys').ok).toBe(true);
    await waitForInstance(t.p, id, (i) => i.phase === 'stopped', 'stopped');
    hostKeyFailure = 'must not be asked again';
    expect((await t.p.api.start(hal, 'keys')).ok).toBe(true);
    const again = await waitForInstance(t.p, id, (i) => i.phase === 'running', 'running again');
    hostKeyFailure = undefined;
    expect(again.hostKeys).toEqual(running.hostKeys);
    expect(hostKeyReads.length).toBe(reads);
  });

  it('converts an instance Service from before the SSH gateway (NodePort) to ClusterIP; the node port goes', async () => {
    const ivy = linkUser(t.p, 'UIVY');
    const id = await createRunning(t.p, ivy, { name: 'old', cpu: 1, memoryGiB: 1 });
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const name = `${id}-ssh`;
    // As the version before the gateway left it: the same Service, of type NodePort.
    const current = await core.readNamespacedService({ name, namespace: ns.name });
    // Counted before the change: its watch event may reach the reconciler before the reply reaches us.
    const applies = t.p.kube.requests.apply;
    const phases = () => t.p.store.audit.forInstance(id).filter((a) => a.action.startsWith('phase:')).length;
    const phasesBefore = phases();
    const old = await core.replaceNamespacedService({
      name,
      namespace: ns.name,
      body: { ...current, spec: { ...current.spec, type: 'NodePort' } },
    });
    expect(old.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    const converted = await waitFor(
      async () => {
        const s = await core.readNamespacedService({ name, namespace: ns.name });
        return s.spec?.type === 'ClusterIP' ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'the Service converted to ClusterIP' },
    );
    // The same object (converted in place, not recreated), at the same address, with no node port left.
    expect(converted.metadata?.uid).toBe(current.metadata?.uid);
    expect(converted.spec?.clusterIP).toBe(current.spec?.clusterIP);
    expect(converted.spec?.ports?.map((p) => [p.name, p.port, p.nodePort])).toEqual([['ssh', 22, undefined]]);
    expect(t.p.kube.requests.apply).toBeGreaterThan(applies);
    // Running throughout: the owner is not told of a change that is not one.
    expect(phases()).toBe(phasesBefore);
    expect(t.p.store.instances.get(id)).toMatchObject({ phase: 'running', sshHost: `${name}.${ns.name}` });
  });

  it('delete snapshots the disk first, then leaves nothing labelled with the instance once the snapshot expires', async () => {
    const cy = linkUser(t.p, 'UCY');
    const id = await createRunning(t.p, cy, { name: 'tmp', cpu: 1, memoryGiB: 1 });
    expect(t.p.api.delete(cy, 'tmp').ok).toBe(true);
    const deleted = await waitForInstance(t.p, id, (i) => i.phase === 'deleted', 'deleted');
    expect(deleted.snapshotName).toBe(`${id}-final`);
    const gone = await labelledObjects(ns.name, id);
    expect([gone.pods, gone.pvcs, gone.services, gone.secrets].map((l) => l.length)).toEqual([0, 0, 0, 0]);
    expect(gone.snapshots.map((s) => s.metadata.name)).toEqual([`${id}-final`]);
    // The audit log names who did what and why.
    const audit = t.p.store.audit.forInstance(id);
    expect(audit.find((a) => a.action === 'delete')).toMatchObject({
      actor: 'UCY',
      reason: 'deleted by the owner',
    });

    clock.advance(86_400_000 + 1000);
    t.p.reconciler.queue.add(id);
    // The reconciler deletes the snapshot, then forgets it in the store: wait for both, in that order.
    await waitFor(
      async () => ((await labelledObjects(ns.name, id)).snapshots.length === 0 ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'final snapshot removed after the grace period',
      },
    );
    await waitFor(async () => (t.p.store.instances.get(id)?.snapshotName === null ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the store forgets the deleted snapshot',
    });
  });

  it('restore brings a deleted machine back from its final snapshot; a later delete takes a fresh snapshot', async () => {
    const fay = linkUser(t.p, 'UFAY');
    const id = await createRunning(t.p, fay, { name: 'phoenix', cpu: 1, memoryGiB: 1 });
    expect(t.p.api.delete(fay, 'phoenix').ok).toBe(true);
    await waitForInstance(t.p, id, (i) => i.phase === 'deleted', 'deleted');
    expect(t.p.api.list(fay).ok && (t.p.api.list(fay) as { value: unknown[] }).value).toEqual([]);

    const restored = await t.p.api.restore(fay, 'phoenix');
    expect(restored.ok && restored.value.id).toBe(id);
    await waitForInstance(
      t.p,
      id,
      (i) => i.phase === 'running' && i.snapshotName === null,
      'running again, snapshot consumed',
    );
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: `${id}-root`, namespace: ns.name });
    expect(pvc.spec?.dataSource).toMatchObject({ kind: 'VolumeSnapshot', name: `${id}-final` });
    await waitFor(
      async () => ((await labelledObjects(ns.name, id)).snapshots.length === 0 ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'the consumed snapshot removed',
      },
    );

    const again = await t.p.api.restore(fay, 'phoenix');
    expect(!again.ok && again.error.message).toBe(
      'phoenix is not deleted (it is running); nothing to restore',
    );
    expect(t.p.api.delete(fay, 'phoenix').ok).toBe(true);
    const redeleted = await waitForInstance(t.p, id, (i) => i.phase === 'deleted', 'deleted again');
    expect(redeleted.snapshotName).toBe(`${id}-final-2`);
  });

  it('50 concurrent creates by one user with room for 3 yield exactly 3 instances and 47 clear refusals', async () => {
    const dee = linkUser(t.p, 'UDEE');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        t.p.api.create(dee, { name: `c${n}`, cpu: 1, memoryGiB: 1, diskGiB: 20 }),
      ),
    );
    const accepted = results.filter((r) => r.ok);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(47);
    for (const e of refused) {
      expect(e.code).toBe('QuotaExceeded');
      expect(e.message).toBe(
        'you already have 3 of 3 instances allowed; delete one or ask an admin for more',
      );
    }
    expect(t.p.store.instances.listByOwner('UDEE')).toHaveLength(3);
  });

  it('refuses what is not the user’s own: another user’s instance is "not found" and unchanged', async () => {
    const eve = linkUser(t.p, 'UEVE');
    const ana = t.p.store.instances.listByOwner('UANA')[0]!;
    for (const r of [
      t.p.api.stop(eve, ana.id),
      t.p.api.delete(eve, ana.id),
      t.p.api.extend(eve, ana.id, '1d'),
      t.p.api.get(eve, 'web1'),
    ]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('NotFound');
    }
    expect(t.p.store.instances.get(ana.id)?.desired).toBe('running');
  });

  it('starting a machine whose lease ran out gives it a fresh default lease', async () => {
    const gil = linkUser(t.p, 'UGIL');
    const created = await t.p.api.create(gil, { name: 'late', cpu: 1, memoryGiB: 1, lease: '1d' });
    if (!created.ok) throw new Error(created.error.message);
    expect(t.p.api.stop(gil, 'late').ok).toBe(true);
    await waitForInstance(t.p, created.value.id, (i) => i.phase === 'stopped', 'stopped');
    clock.advance(2 * 86_400_000);
    const started = await t.p.api.start(gil, 'late');
    expect(started.ok && started.value.leaseEndsAt).toBe(
      new Date(clock.now().getTime() + 7 * 86_400_000).toISOString(),
    );
    expect(t.p.store.audit.forInstance(created.value.id).map((a) => a.action)).toContain('start');
  });

  it('refuses users who have not linked Google, with what to do', async () => {
    const r = await t.p.api.create({ userId: 'UNOBODY' }, { name: 'x' });
    expect(!r.ok && r.error).toEqual({
      code: 'NotLinked',
      message: 'link your Google account first: run /tispace login',
    });
  });
});
