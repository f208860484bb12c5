// SSH access on the web: the machines JSON carries how to connect, GET /api/v1/ssh-config returns the
// caller's own ~/.ssh/config text (the same as Slack's), and the pages show the command, the host key,
// the config block and the VS Code link without JavaScript.
import { afterEach, describe, expect, it } from 'vitest';
import { sshConfigFile } from '../../../bot/views/ssh-access.ts';
import type { StoredInstance } from '../../../provisioner/api.ts';
import { instanceRow } from '../../support/instances.ts';
import { Browser, startWeb, type WebUnderTest } from './support.ts';

const ED25519 = {
  type: 'ssh-ed25519',
  fingerprint: 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
};

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Ada (box running behind the gateway, new still starting), Bob (his own running machine) and an admin. */
async function world() {
  w = await startWeb({});
  const web = w;
  const user = (email: string) => {
    const u = web.provisioner.web.signIn({ sub: `sub-${email}`, email });
    if (!u.ok) throw new Error(u.error.message);
    return u.value.userId;
  };
  const token = (userId: string, scopes: string[]) => {
    const t = web.provisioner.web.createToken(userId, { name: 't', scopes, days: 1 });
    if (!t.ok) throw new Error(t.error.message);
    return t.value.token;
  };
  const ada = user('ada@example.com');
  const bob = user('bob@example.com');
  const boss = user('boss@corp.com');
  const now = web.clock.now().toISOString();
  const lease = new Date(web.clock.now().getTime() + 86_400_000).toISOString();
  const put = (over: Partial<StoredInstance>) => {
    web.provisioner.store.instances.insert(instanceRow({ createdAt: now, leaseEndsAt: lease, ...over }), now);
  };
  const reachable = (id: string) => ({
    phase: 'running' as const,
    node: 'dev-1',
    sshHost: `${id}-ssh.tispace`,
    sshPort: 22,
    sshJump: 'tispace@gw.example.com',
  });
  put({
    id: 'box-k3f9x',
    name: 'box',
    ownerId: ada,
    loginUser: 'debian',
    image: 'debian-12',
    ...reachable('box-k3f9x'),
    hostKeys: [ED25519],
  });
  put({ id: 'new-aaaaa', name: 'new', ownerId: ada, phase: 'provisioning' });
  put({
    id: 'bobs-bbbbb',
    name: 'bobs',
    ownerId: bob,
    ownerEmail: 'bob@example.com',
    ...reachable('bobs-bbbbb'),
  });
  return { web, ada, bob, boss, token };
}

const get = (web: WebUnderTest, path: string, token: string) =>
  fetch(`${web.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('the machines JSON', () => {
  it('carries the command, alias, stable name, jump host, host keys, VS Code link and config block', async () => {
    const { web, ada, token } = await world();
    const t = token(ada, ['machines:read']);
    const list = (await (await get(web, '/api/v1/machines', t)).json()) as {
      machines: { name: string; ssh: Record<string, unknown> }[];
    };
    const box = list.machines.find((m) => m.name === 'box')!;
    expect(box.ssh).toEqual({
      command: 'ssh -J tispace@gw.example.com debian@box-k3f9x-ssh.tispace',
      alias: 'box.tispace',
      hostName: 'box-k3f9x-ssh.tispace',
      jump: 'tispace@gw.example.com',
      hostKeys: [{ type: 'ssh-ed25519', fingerprint: ED25519.fingerprint }],
      vscodeUri: 'vscode://vscode-remote/ssh-remote+box.tispace/home/debian',
      config: [
        '# TiSpace machine box (debian-12)',
        'Host box.tispace',
        '  HostName box-k3f9x-ssh.tispace',
        '  User debian',
        '  ProxyJump tispace@gw.example.com',
        `  # host key: ED25519 ${ED25519.fingerprint}`,
        '',
      ].join('\n'),
    });
    // Not known yet: every piece null, the keys empty (never a made-up value).
    expect(list.machines.find((m) => m.name === 'new')!.ssh).toEqual({
      command: null,
      alias: null,
      hostName: null,
      jump: null,
      hostKeys: [],
      vscodeUri: null,
      config: null,
    });
    const one = (await (await get(web, '/api/v1/machines/box-k3f9x', t)).json()) as { ssh: unknown };
    expect(one.ssh).toEqual(box.ssh);
  });
});

describe('GET /api/v1/ssh-config', () => {
  it('needs credentials: 401 without a token, 403 without machines:read', async () => {
    const { web, ada, token } = await world();
    const none = await fetch(`${web.url}/api/v1/ssh-config`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('Unauthenticated');
    const keysOnly = await get(web, '/api/v1/ssh-config', token(ada, ['keys:read']));
    expect(keysOnly.status).toBe(403);
    expect(await keysOnly.text()).toContain('needs the machines:read scope');
  });

  it('returns the caller’s own config as text/plain, the same text Slack shows — never another user’s', async () => {
    const { web, ada, bob, boss, token } = await world();
    const res = await get(web, '/api/v1/ssh-config', token(ada, ['machines:read']));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('Host box.tispace\n  HostName box-k3f9x-ssh.tispace\n  User debian\n');
    expect(text).not.toContain('bobs');
    expect(text).not.toContain('new.tispace');
    const listed = web.provisioner.api.list({ userId: ada });
    if (!listed.ok) throw new Error(listed.error.message);
    expect(text).toBe(sshConfigFile(listed.value));

    const bobs = await (await get(web, '/api/v1/ssh-config', token(bob, ['machines:read']))).text();
    expect(bobs).toContain('Host bobs.tispace');
    expect(bobs).not.toContain('box');
    // An admin's file is their own machines too (none here): a comment saying so, not everyone's.
    const admins = await (
      await get(web, '/api/v1/ssh-config', token(boss, ['machines:read', 'admin']))
    ).text();
    expect(admins).toContain('# None of your machines has an SSH entry yet');
    expect(admins).not.toContain('Host ');
  });

  it('is documented in the OpenAPI document as text/plain', async () => {
    const { web } = await world();
    const doc = (await (await fetch(`${web.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, unknown> }> } }>;
    };
    expect(Object.keys(doc.paths['/api/v1/ssh-config']!.get.responses['200']!.content)).toEqual([
      'text/plain',
    ]);
  });
});

describe('pages (no JavaScript needed)', () => {
  it('the dashboard links the config download; the machine page shows command, host key, block and VS Code link', async () => {
    const { web, ada } = await world();
    const b = new Browser(web.url);
    b.jar.set('__Host-tispace_session', web.provisioner.web.openSession(ada).token);
    const dashboard = await (await b.fetch('/')).text();
    expect(dashboard).toContain(
      '<a href="/api/v1/ssh-config" download="tispace" data-testid="ssh-config-download">Download ~/.ssh/config block</a>',
    );
    expect(dashboard).toContain('ssh -J tispace@gw.example.com debian@box-k3f9x-ssh.tispace');
    // The link works with the browser session alone.
    const download = await b.fetch('/api/v1/ssh-config');
    expect(download.status).toBe(200);
    expect(await download.text()).toContain('Host box.tispace');

    const page = await (await b.fetch('/machines/box-k3f9x')).text();
    expect(page).toContain(
      '<code data-testid="ssh-command">ssh -J tispace@gw.example.com debian@box-k3f9x-ssh.tispace</code>',
    );
    expect(page).toContain(`<code data-testid="host-key">ED25519 ${ED25519.fingerprint}</code>`);
    expect(page).toContain('compare it with what ssh shows the first time you connect');
    expect(page).toContain(
      '<a href="vscode://vscode-remote/ssh-remote+box.tispace/home/debian" data-testid="vscode">Open in VS Code</a>',
    );
    expect(page).toContain('needs the ~/.ssh/config block and the Remote-SSH extension');
    expect(page).toMatch(
      /<pre class="config" data-testid="ssh-config"># TiSpace machine box \(debian-12\)\nHost box.tispace\n {2}HostName box-k3f9x-ssh.tispace\n {2}User debian\n {2}ProxyJump tispace@gw.example.com\n/,
    );

    // A machine that never ran: no command, no block, no link to a file that would not have it.
    const fresh = await (await b.fetch('/machines/new-aaaaa')).text();
    expect(fresh).not.toContain('data-testid="ssh-command"');
    expect(fresh).not.toContain('data-testid="ssh-config"');
  });

  it('no machine with an SSH entry: no download link on the dashboard', async () => {
    const { web, boss } = await world();
    const b = new Browser(web.url);
    b.jar.set('__Host-tispace_session', web.provisioner.web.openSession(boss).token);
    const dashboard = await (await b.fetch('/')).text();
    expect(dashboard).toContain('My machines');
    expect(dashboard).not.toContain('ssh-config-download');
  });
});
