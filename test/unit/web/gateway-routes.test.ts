// The SSH gateway's calls to TiSpace (web/routes/gateway.ts) on a real HTTP server and SQLite store: what
// the gateway's sshd gets for an offered key decides what that key can reach, so each case here is a door
// that must open for the owner and stay shut for everyone else. The real sshd reading these answers is
// exercised in test/integration/real-gateway.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewaySessionReport } from '../../../web/routes/gateway.ts';
import { instanceRow } from '../../support/instances.ts';
import { tempDir } from '../../support/temp.ts';
import { startWeb, type WebUnderTest } from './support.ts';

const TOKEN = 't'.repeat(40);
let web: WebUnderTest;
const reports: GatewaySessionReport[] = [];

/** A fresh ed25519 key pair as a user makes it; its fingerprint as sshd's %f gives it. */
function userKey(): { publicKey: string; fingerprint: string } {
  const dir = tempDir('tispace-gw-key-');
  const file = path.join(dir, 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', file]);
  const publicKey = readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  return { publicKey, fingerprint };
}

const lookup = (fingerprint: string, token: string | null = TOKEN) =>
  fetch(`${web.url}/gateway/v1/authorized-keys?fingerprint=${encodeURIComponent(fingerprint)}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

function user(name: string): string {
  const u = web.provisioner.web.signIn({ sub: `sub-${name}`, email: `${name}@corp.com` });
  if (!u.ok) throw new Error(u.error.message);
  return u.value.userId;
}

function addKey(userId: string, publicKey: string) {
  const added = web.provisioner.api.addKey({ userId }, publicKey);
  if (!added.ok) throw new Error(added.error.message);
  return added.value;
}

function machine(ownerId: string, name: string, over: Parameters<typeof instanceRow>[0] = {}) {
  const row = instanceRow({
    name,
    id: `${name}-${ownerId
      .slice(-5)
      .toLowerCase()
      .replace(/[^a-z]/g, 'x')}`,
    ownerId,
    desired: 'running',
    phase: 'running',
    ...over,
  });
  web.provisioner.store.instances.insert(
    { ...row, sshHost: over.sshHost ?? `${row.id}-ssh.tispace`, sshPort: 22 },
    new Date().toISOString(),
  );
  return `${row.id}-ssh.tispace`;
}

beforeEach(async () => {
  reports.length = 0;
  web = await startWeb({
    gateway: { token: TOKEN, sessions: { reportGatewaySessions: (r) => void reports.push(r) } },
  });
});
afterEach(() => web.close());

describe('GET /gateway/v1/authorized-keys', () => {
  it("gives the owner's key one permitopen per running machine of theirs, and nothing of anyone else's", async () => {
    const ada = user('ada');
    const bob = user('bob');
    const adaKey = userKey();
    addKey(ada, adaKey.publicKey);
    addKey(bob, userKey().publicKey);
    const box = machine(ada, 'box');
    const web1 = machine(ada, 'web1');
    machine(ada, 'parked', { desired: 'stopped', phase: 'stopped' });
    machine(ada, 'going', { desired: 'stopped', phase: 'running' }); // stopping: no new sessions
    machine(bob, 'bobs');

    const res = await lookup(adaKey.fingerprint);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const [type, base64] = adaKey.publicKey.split(' ');
    expect(await res.text()).toBe(
      `restrict,port-forwarding,permitopen="${box}:22",permitopen="${web1}:22" ${type} ${base64}\n`,
    );
  });

  it('lets an owner with nothing running authenticate but forward nowhere (restrict alone)', async () => {
    const ada = user('ada');
    const key = userKey();
    addKey(ada, key.publicKey);
    machine(ada, 'box', { desired: 'stopped', phase: 'stopped' });
    const text = await (await lookup(key.fingerprint)).text();
    expect(text).toBe(`restrict ${key.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    expect(text).not.toContain('port-forwarding');
  });

  it('answers nothing for an unknown key, a deactivated owner, an unlinked user or a removed key', async () => {
    expect(await (await lookup(userKey().fingerprint)).text()).toBe('');

    const ada = user('ada');
    const key = userKey();
    const added = addKey(ada, key.publicKey);
    machine(ada, 'box');
    expect(await (await lookup(key.fingerprint)).text()).toContain('permitopen=');
    web.provisioner.store.users.deactivate(ada, 'left the company', new Date().toISOString());
    expect(await (await lookup(key.fingerprint)).text()).toBe('');
    web.provisioner.store.users.reactivate(ada);
    expect(await (await lookup(key.fingerprint)).text()).toContain('permitopen=');
    // Removed: refused on the very next login, no restart, no reconcile.
    const removed = web.provisioner.api.removeKey({ userId: ada }, String(added.id));
    expect(removed.ok).toBe(true);
    expect(await (await lookup(key.fingerprint)).text()).toBe('');

    // A Slack user who never linked Google holds a key (stored before linking) but reaches nothing.
    const now = new Date().toISOString();
    web.provisioner.store.users.ensure('UNLINKED', 'T1', now);
    const other = userKey();
    web.provisioner.store.keys.add({
      userId: 'UNLINKED',
      fingerprint: other.fingerprint,
      type: 'ssh-ed25519',
      comment: '',
      publicKey: other.publicKey,
      createdAt: now,
    });
    machine('UNLINKED', 'box');
    expect(await (await lookup(other.fingerprint)).text()).toBe('');
  });

  it('one line for a key two users registered: it reaches both owners’ machines, as each allowed', async () => {
    const ada = user('ada');
    const bob = user('bob');
    const shared = userKey();
    addKey(ada, shared.publicKey);
    addKey(bob, shared.publicKey);
    const a = machine(ada, 'box');
    const b = machine(bob, 'other');
    const lines = (await (await lookup(shared.fingerprint)).text()).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`permitopen="${a}:22"`);
    expect(lines[0]).toContain(`permitopen="${b}:22"`);
  });

  it('refuses without the token or with a wrong one (401), and a malformed fingerprint (400), saying what is allowed', async () => {
    const ada = user('ada');
    const key = userKey();
    addKey(ada, key.publicKey);
    machine(ada, 'box');
    for (const token of [null, '', 'x'.repeat(40), `${TOKEN}x`]) {
      const res = await lookup(key.fingerprint, token);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('permitopen');
    }
    const bad = await lookup('MD5:aa:bb');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/fingerprint must be an OpenSSH SHA256 fingerprint/);
  });

  it('does not exist when no gateway token is configured', async () => {
    const plain = await startWeb({});
    try {
      const res = await fetch(`${plain.url}/gateway/v1/authorized-keys?fingerprint=x`);
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('POST /gateway/v1/sessions', () => {
  const post = (body: unknown, token = TOKEN) =>
    fetch(`${web.url}/gateway/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('passes a well-formed report on and answers 204', async () => {
    const report = { gateway: 'tispace-gateway-7d9f-abcde', connections: [{ peer: '10.96.12.7:22' }] };
    expect((await post(report)).status).toBe(204);
    expect(reports).toEqual([report]);
  });

  it('refuses a bad token or a malformed report, naming the field, and passes nothing on', async () => {
    expect((await post({ gateway: 'g', connections: [] }, 'wrong')).status).toBe(401);
    const res = await post({ gateway: 'g', connections: [{ peer: 'not-an-address' }] });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^connections\.0\.peer: must be "<IPv4>:<port>"/);
    expect((await post({ gateway: 'g; rm -rf /', connections: [] })).status).toBe(400);
    expect(reports).toEqual([]);
  });
});
