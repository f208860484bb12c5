// provisioner.api.offboard semantics (what the Slack bot calls on user_change deleted), without a cluster:
// the user's running machines are stopped (disks kept), every request of theirs is refused as Deactivated,
// and they cannot re-link.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock, Provisioner, StoredInstance } from '../../../../provisioner/api.ts';
import { newInstanceRow } from '../../../../provisioner/store/instances-repo.ts';
import { apiOnlyProvisioner } from '../../../support/offline-provisioner.ts';

const ADA = { teamId: 'TCORP', userId: 'UADA' };
const BOB = { teamId: 'TCORP', userId: 'UBOB' };
let provisioner: Provisioner;
let clock: ManualClock;
let close: () => void;

function instance(id: string, ownerId: string, desired: StoredInstance['desired']): StoredInstance {
  const now = clock.now().toISOString();
  return newInstanceRow({
    id,
    name: id,
    ownerId,
    ownerEmail: `${ownerId}@corp.com`,
    image: 'ubuntu-22.04',
    cpu: 2,
    memoryGiB: 8,
    diskGiB: 50,
    loginUser: 'ubuntu',
    desired,
    phase: desired === 'running' ? 'running' : 'stopped',
    createdAt: now,
    leaseEndsAt: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    lastActiveAt: now,
  });
}

beforeEach(() => {
  ({ provisioner, clock, close } = apiOnlyProvisioner({ admins: ['ada@corp.com'] }));
  provisioner.api.linkIdentity(ADA, { googleSub: '1001', email: 'ada@corp.com' });
  provisioner.api.linkIdentity(BOB, { googleSub: '1002', email: 'bob@corp.com' });
  const at = clock.now().toISOString();
  provisioner.store.instances.insert(instance('ada-dev1', 'UADA', 'running'), at);
  provisioner.store.instances.insert(instance('ada-dev2', 'UADA', 'stopped'), at);
  provisioner.store.instances.insert(instance('bob-dev1', 'UBOB', 'running'), at);
});
afterEach(() => close());

describe('offboard', () => {
  it('stops the user’s running machines (disks kept) and leaves others alone', () => {
    const stopped = provisioner.api.offboard('UADA', 'Slack account deactivated');
    expect(stopped.map((i) => i.id)).toEqual(['ada-dev1']);
    expect(provisioner.store.instances.get('ada-dev1')).toMatchObject({ desired: 'stopped' });
    expect(provisioner.store.instances.get('ada-dev2')).toMatchObject({ desired: 'stopped' });
    expect(provisioner.store.instances.get('bob-dev1')).toMatchObject({ desired: 'running' });
    expect(provisioner.store.audit.forInstance('ada-dev1').at(-1)).toMatchObject({
      actor: 'system',
      action: 'stop',
      reason: 'owner offboarded: Slack account deactivated',
    });
  });

  it('refuses every request of a deactivated user with code Deactivated, and whoami shows it', async () => {
    provisioner.api.offboard('UADA', 'left');
    const who = provisioner.api.whoami(ADA);
    expect(who.user?.deactivatedAt).toBe(clock.now().toISOString());
    expect(who.user?.deactivatedReason).toBe('left');
    const deactivated = { ok: false, error: { code: 'Deactivated' } };
    expect(await provisioner.api.create(ADA, { name: 'dev3', size: 'small' })).toMatchObject(deactivated);
    expect(await provisioner.api.start(ADA, 'ada-dev1')).toMatchObject(deactivated);
    expect(provisioner.api.list(ADA)).toMatchObject(deactivated);
    expect(provisioner.api.extend(ADA, 'ada-dev1', '1d')).toMatchObject(deactivated);
    expect(provisioner.api.listKeys(ADA)).toMatchObject(deactivated);
    expect(provisioner.api.usage(ADA)).toMatchObject(deactivated);
    // Bob is unaffected.
    expect(provisioner.api.list(BOB)).toMatchObject({ ok: true });
  });

  it('is idempotent and keeps the first deactivation time', () => {
    provisioner.api.offboard('UADA', 'left');
    const first = provisioner.api.whoami(ADA).user?.deactivatedAt;
    clock.advance(3_600_000);
    expect(provisioner.api.offboard('UADA', 'left')).toEqual([]);
    expect(provisioner.api.whoami(ADA).user?.deactivatedAt).toBe(first);
  });

  it('an unknown (never linked) Slack user can be offboarded and is refused too', async () => {
    expect(provisioner.api.offboard('UGHOST', 'deleted')).toEqual([]);
    expect(await provisioner.api.create({ userId: 'UGHOST' }, { name: 'x', size: 'small' })).toMatchObject({
      ok: false,
      error: { code: 'Deactivated' },
    });
  });
});
