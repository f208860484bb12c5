// Issue 14, item 10b: an offboarded owner's SSH keys are left out of every Secret, so an admin starting
// their machine does not let them back in; reactivating them brings the keys back. Real API server.
import { generateKeyPairSync } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import sshpk from 'sshpk';
import { describe, expect, it } from 'vitest';
import { namespaceConfig } from '../support/config.ts';
import { kubeConfig, waitFor } from './support/cluster.ts';
import { createRunning, linkUser, useProvisioner, waitForInstance } from './support/provisioner.ts';

const t = useProvisioner('it-offkeys', (namespace) => ({
  config: namespaceConfig(namespace, { admins: ['boss@corp.com'] }),
}));

const publicKey = (comment: string) => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return `${sshpk.parseKey(pem, 'pem').toString('ssh').split(' ').slice(0, 2).join(' ')} ${comment}`;
};

/** The authorized_keys the instance's Secret holds, as the API server has it. */
async function authorizedKeys(id: string): Promise<string> {
  const secret = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ name: `${id}-ssh`, namespace: t.ns.name });
  return Buffer.from(secret.data?.authorized_keys ?? '', 'base64').toString('utf8');
}

const secretHolds = (id: string, want: (keys: string) => boolean, what: string) =>
  waitFor(async () => (want(await authorizedKeys(id)) ? true : undefined), { timeoutMs: 30_000, what });

describe('offboarded owners and SSH keys', () => {
  it('offboard → an admin starts the machine → no key in its Secret; reactivate → the keys are back', async () => {
    const leaver = linkUser(t.p, 'ULEAVE', 'leaver@corp.com');
    const boss = linkUser(t.p, 'UBOSS', 'boss@corp.com');
    const key = publicKey('leaver@laptop');
    expect(t.p.api.addKey(leaver, key).ok).toBe(true);
    const id = await createRunning(t.p, leaver, { name: 'box', cpu: 1, memoryGiB: 2, diskGiB: 20 });
    expect(await authorizedKeys(id)).toContain(key);

    expect(t.p.api.offboard('ULEAVE', 'deactivated in Slack').map((i) => i.id)).toEqual([id]);
    await waitForInstance(t.p, id, (i) => i.phase === 'stopped', 'stopped by offboarding');

    const started = await t.p.api.start(boss, { id });
    expect(started.ok).toBe(true);
    await waitForInstance(t.p, id, (i) => i.phase === 'running', 'running again (admin start)');
    expect(await authorizedKeys(id)).toBe('');

    expect(t.p.api.reactivate(boss, 'ULEAVE').ok).toBe(true);
    await secretHolds(id, (k) => k.includes(key), 'the reactivated owner’s key back in the Secret');
  });
});
