// A machine created for a user with no SSH key boots and then refuses every login ("Permission denied
// (publickey)"). Create refuses up front instead, saying how to add a key, and stores nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Provisioner } from '../../../../provisioner/api.ts';
import { apiOnlyProvisioner } from '../../../support/offline-provisioner.ts';

const ADA = { teamId: 'TCORP', userId: 'UADA' };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';
let provisioner: Provisioner;
let close: () => void;

beforeEach(() => {
  ({ provisioner, close } = apiOnlyProvisioner({}));
  provisioner.api.linkIdentity(ADA, { googleSub: '1001', email: 'ada@corp.com' });
});
afterEach(() => close());

describe('create without an SSH key', () => {
  it('is refused with NoSshKey and the way to add one; nothing is stored', async () => {
    const refused = await provisioner.api.create(ADA, { name: 'dev1', size: 'small' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NoSshKey' } });
    const message = refused.ok ? '' : refused.error.message;
    expect(message).toContain('no SSH key');
    expect(message).toContain('/tispace key add');
    expect(message).toContain('SSH keys page');
    expect(provisioner.store.instances.listByOwner('UADA')).toEqual([]);
  });

  it('still reports a bad input first (the form shows it on its field)', async () => {
    const refused = await provisioner.api.create(ADA, { name: 'Not A Name', size: 'small' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'InvalidInput', field: 'name' } });
  });

  it('goes past the key check once the user has a key', async () => {
    expect(provisioner.api.addKey(ADA, KEY).ok).toBe(true);
    const r = await provisioner.api.create(ADA, { name: 'dev1', size: 'small' });
    // Offline there are no nodes, so the next check refuses; what matters is that it is not the key one.
    if (!r.ok) expect(r.error.code).not.toBe('NoSshKey');
  });
});
