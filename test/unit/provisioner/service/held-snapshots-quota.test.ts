// Snapshots held for the grace period count against their owner's disk quota: creating, filling and
// deleting big disks cannot be repeated without limit. Restoring one does not count it twice.
import { afterEach, describe, expect, it } from 'vitest';
import { insertInstance, type JobsWorld, jobsWorld } from '../jobs/support.ts';

let w: JobsWorld | undefined;
afterEach(() => {
  w?.close();
  w = undefined;
});

describe('disk quota and held snapshots', () => {
  it('a deleted machine whose snapshot is kept still counts its disk', () => {
    w = jobsWorld();
    const now = w.clock.now();
    insertInstance(w.provisioner.store, w.clock, {
      name: 'big',
      diskGiB: 400,
      desired: 'deleted',
      phase: 'deleted',
      deletedAt: now.toISOString(),
      snapshotName: 'big-bcdfg-final',
      snapshotExpiresAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
    });
    insertInstance(w.provisioner.store, w.clock, {
      name: 'gone',
      id: 'gone-bcdfg',
      diskGiB: 300,
      phase: 'deleted',
      desired: 'deleted',
    });
    const usage = w.provisioner.api.usage({ userId: 'U1', teamId: 'T1' });
    if (!usage.ok) throw new Error(usage.error.message);
    expect(usage.value.used.diskGiB).toBe(400);
    expect(usage.value.used.instances).toBe(0);
    expect(usage.value.left.diskGiB).toBe(usage.value.quota.diskGiB - 400);
  });
});
