// A restored machine starts a new life: nothing of the previous one's stop or restore window carries over.
// Restore → the machine never comes up → the clock passes the first snapshot's expiry → delete: the new
// final snapshot must be kept for the full grace period (it is the only copy of the disk), and the
// snapshot the restore came from is dropped only once the new one is ready.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { D as DAY } from '../support/durations.ts';
import { waitFor } from './support/cluster.ts';
import {
  createRunning,
  labelledObjects,
  linkUser,
  useProvisioner,
  waitForInstance,
} from './support/provisioner.ts';

const clock = new ManualClock(new Date());
/** While set, creating the Pod fails: the restored machine never comes up. */
let podCreationFails = false;
const t = useProvisioner('it-restore', (namespace) => ({
  config: namespaceConfig(namespace, { policy: { snapshotGrace: '1d' } }),
  clock,
  beforeStep: (step: string) => {
    if (podCreationFails && step === 'create-pod') throw new Error('simulated failure to create the Pod');
  },
}));
const ns = t.ns;

describe('restore starts a new life', () => {
  it('restore → fail → past the first expiry → delete: the new snapshot lives for the full grace period', async () => {
    const gil = linkUser(t.p, 'UGIL');
    const id = await createRunning(t.p, gil, { name: 'lazarus', cpu: 1, memoryGiB: 1 });
    expect(t.p.api.delete(gil, 'lazarus').ok).toBe(true);
    const first = await waitForInstance(t.p, id, (i) => i.phase === 'deleted', 'deleted');
    expect(first.snapshotName).toBe(`${id}-final`);

    podCreationFails = true;
    const restored = await t.p.api.restore(gil, 'lazarus');
    if (!restored.ok) throw new Error(restored.error.message);
    expect(restored.value.snapshotExpiresAt).toBeNull();
    expect(restored.value.stoppedAt).toBeNull();
    // The clone of the disk exists (and is bound), but the machine never comes up.
    await waitFor(
      async () =>
        (await labelledObjects(ns.name, id)).pvcs[0]?.status?.phase === 'Bound' ? true : undefined,
      {
        timeoutMs: 60_000,
        what: 'the restored disk',
      },
    );

    clock.advance(DAY + 60_000); // past the first snapshot's expiry
    expect(t.p.api.delete(gil, 'lazarus').ok).toBe(true);
    const again = await waitForInstance(t.p, id, (i) => i.phase === 'deleted', 'deleted again', 90_000);
    expect(again.snapshotName).toBe(`${id}-final-2`);
    expect(Date.parse(again.snapshotExpiresAt ?? '')).toBeGreaterThanOrEqual(
      clock.now().getTime() + DAY - 60_000,
    );

    // A pass later, the new snapshot is still there and the one the restore came from is gone.
    t.p.reconciler.queue.add(id);
    await waitFor(
      async () => {
        const names = (await labelledObjects(ns.name, id)).snapshots.map((s) => s.metadata.name);
        return names.length === 1 ? names : undefined;
      },
      { timeoutMs: 30_000, what: 'only the new snapshot left' },
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await labelledObjects(ns.name, id)).snapshots.map((s) => s.metadata.name)).toEqual([
      `${id}-final-2`,
    ]);
    expect(t.p.store.instances.get(id)?.snapshotName).toBe(`${id}-final-2`);
  });

  it('start clears the stop time that retention counts from', async () => {
    const hal = linkUser(t.p, 'UHAL');
    podCreationFails = false;
    const created = await t.p.api.create(hal, { name: 'napper', cpu: 1, memoryGiB: 1 });
    if (!created.ok) throw new Error(created.error.message);
    await waitForInstance(t.p, created.value.id, (i) => i.phase === 'running', 'running');
    expect(t.p.api.stop(hal, 'napper').ok).toBe(true);
    await waitForInstance(
      t.p,
      created.value.id,
      (i) => i.phase === 'stopped' && i.stoppedAt !== null,
      'stopped',
    );
    podCreationFails = true; // it will not come up again: the stop time must not survive the start anyway
    const started = await t.p.api.start(hal, 'napper');
    if (!started.ok) throw new Error(started.error.message);
    expect(started.value.stoppedAt).toBeNull();
    podCreationFails = false;
  });
});
