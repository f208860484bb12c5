// Every /tispace subcommand over signed HTTP: happy paths, bad inputs, the link gate, admin commands,
// private keys never echoed or logged, forged and unknown interactions, offboarding.
import { generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../bot/constants.ts';
import { type BotHarness, startBotHarness } from './support/bot-harness.ts';
import { useNamespace, waitFor } from './support/cluster.ts';
import { publishGoldenImage } from './support/provisioner.ts';

const ns = useNamespace('bot-cmd');
let h: BotHarness;
const plan = [{ instanceId: 'x-1', owner: 'UADA', action: 'stop', reason: 'lease ended' }];

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  h = await startBotHarness({ namespace: ns.name, jobs: { dryRun: async () => plan } });
  h.link('UADA', 'ada@example.com');
  h.link('UBOB', 'bob@example.com');
  h.link('UADMIN', 'admin@example.com');
});
afterAll(async () => {
  await h?.close();
});

/** Runs `/tispace <text>` as `user` and returns the ephemeral reply (text and blocks as JSON). */
async function run(user: string, text: string): Promise<{ text: string; json: string }> {
  const before = h.replies(user).length;
  const r = await h.command(user, text);
  expect(r.status).toBe(200);
  const reply = await h.nextReply(user, before);
  const entry = h.fake.ephemeral.get(user)![before]!;
  return { text: reply, json: JSON.stringify(entry.blocks ?? []) };
}

const publicKey = (comment: string) => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return `${sshpk.parseKey(pem, 'pem').toString('ssh').split(' ').slice(0, 2).join(' ')} ${comment}`;
};

describe('help, unknown input and the link gate', () => {
  it('help lists the subcommands; unknown input gets help with a did-you-mean', async () => {
    const help = await run('UADA', 'help');
    expect(help.json).toContain('/tispace create');
    const typo = await run('UADA', 'lsit');
    expect(typo.text).toContain("I don't know `lsit`");
    expect(typo.text).toContain('Did you mean `/tispace list`');
    const empty = await run('UADA', '');
    expect(empty.json).toContain('/tispace create');
    const quote = await run('UADA', 'create "web1');
    expect(quote.text).toContain('quote is not closed');
  });

  it('an unlinked user gets the "Link your Google account" button; help/login/whoami work without a link', async () => {
    const list = await run('UNEW', 'list');
    expect(list.json).toContain('Link your Google account');
    expect(list.json).toContain('https://tispace.example.com/auth/google/start?u=UNEW');
    const login = await run('UNEW', 'login');
    expect(login.json).toContain('https://tispace.example.com/auth/google/start?u=UNEW');
    const whoami = await run('UNEW', 'whoami');
    expect(whoami.text).toContain('no Google account is linked');
    expect((await run('UNEW', 'help')).json).toContain('/tispace list');
  });

  it('whoami shows the linked email, expiry and admin status; unlink removes the link', async () => {
    expect((await run('UADA', 'whoami')).text).toMatch(/linked to \*ada@example.com\* \(valid until \d{4}-/);
    expect((await run('UADMIN', 'whoami')).text).toContain('You are a TiSpace admin');
    h.link('UNEW', 'new@example.com');
    expect((await run('UNEW', 'unlink')).text).toContain('Unlinked new@example.com');
    expect((await run('UNEW', 'list')).json).toContain('Link your Google account');
    expect((await run('UNEW', 'unlink')).text).toContain('nothing to unlink');
  });
});

describe('machines', () => {
  it('create: bad inputs name what was wrong and what is allowed', async () => {
    expect((await run('UADA', 'create web1 --cpus 4')).text).toMatch(
      /unknown option `--cpus` — did you mean `--cpu`\?/,
    );
    expect((await run('UADA', 'create web1 --cpu four')).text).toContain(
      '--cpu must be a whole number; got "four"',
    );
    expect((await run('UADA', 'create web1 --cpu')).text).toContain('`--cpu` needs a value');
    expect((await run('UADA', 'create web1 --size huge')).text).toContain(
      'size "huge" does not exist; choose one of: small, medium, large, xlarge',
    );
    expect((await run('UADA', 'create web1 --size large --cpu 2')).text).toContain(
      'either --size or --cpu/--mem',
    );
    expect((await run('UADA', 'create Web_1')).text).toContain('is not a valid name');
    expect((await run('UADA', 'create web1 --image=fedora')).text).toContain(
      'image "fedora" is not available; choose one of: ubuntu-22.04',
    );
    expect((await run('UADA', 'create web1 --lease 3 days')).text).toContain('unexpected `days`');
    expect((await run('UADA', 'create web1 --lease 90d')).text).toContain('longer than the maximum of 30d');
    expect((await run('UADA', 'create web1 --cpu 64 --mem 8')).text).toContain(
      'cpu must be a whole number of CPUs from 1 to 16',
    );
  });

  it('create (preset), list, info, ssh, extend, stop, start', async () => {
    expect((await run('UADA', 'create m1 --size small --disk=20 --lease "2d"')).text).toContain(
      'Creating *m1*',
    );
    await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UADA' }, 'm1');
        return got.ok && got.value.phase === 'running' && got.value.sshHost ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'm1 running' },
    );
    const list = await run('UADA', 'list');
    expect(list.json).toContain('*m1*');
    expect(list.json).toContain('running');
    expect((await run('UADA', 'list extra')).text).toContain('list takes no arguments');
    const info = await run('UADA', 'info m1');
    expect(info.json).toContain('2 CPU · 8 GiB RAM · 20 GiB disk');
    expect((await run('UADA', 'info')).text).toContain("`info` needs the machine's name");
    expect((await run('UADA', 'info nope')).text).toContain(
      'you have no instance named "nope"; yours are: m1',
    );
    expect((await run('UADA', 'ssh m1')).text).toMatch(
      new RegExp(`ssh -J tispace@localhost ubuntu@m1-[a-z0-9]{5}-ssh\\.${ns.name}`),
    );
    expect((await run('UADA', 'extend m1 1d')).text).toContain('Extended *m1* by 1d');
    expect((await run('UADA', 'extend m1 soon')).text).toContain('"soon" is not a duration');
    expect((await run('UADA', 'extend m1 60d')).text).toContain('a lease can reach at most 30d');
    expect((await run('UADA', 'stop m1')).text).toContain('Stopping *m1*');
    expect((await run('UADA', 'stop m1')).text).toContain('m1 is already');
    await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UADA' }, 'm1');
        return got.ok && got.value.phase === 'stopped' ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'm1 stopped' },
    );
    expect((await run('UADA', 'ssh m1')).text).toContain('m1 is stopped; start it with');
    expect((await run('UADA', 'start m1')).text).toContain('Starting *m1*');
  });

  it('delete asks first; the confirm button deletes; restore without a snapshot says why', async () => {
    const ask = await run('UADA', 'delete m1');
    expect(ask.json).toContain(ACTIONS.deleteConfirm);
    expect(ask.text).toMatch(/snapshot of its disk is taken and kept for (7d|1w)/);
    const id = h.provisioner.api.get({ userId: 'UADA' }, 'm1');
    expect(id.ok).toBe(true);
    if (!id.ok) return;
    // Still there until confirmed.
    expect(id.value.desired).toBe('running');
    const count = h.replies('UADA').length;
    const r = await h.click('UADA', ACTIONS.deleteConfirm, id.value.id);
    expect(r.status).toBe(200);
    // The confirmation is replaced by the outcome.
    expect(await h.nextReply('UADA', count)).toMatch(/Deleting \*m1\*.*restorable for (7d|1w)/);
    await waitFor(
      async () => (h.provisioner.store.instances.get(id.value.id)?.desired === 'deleted' ? true : undefined),
      { timeoutMs: 10_000, what: 'm1 marked for deletion' },
    );
    expect((await run('UADA', 'delete m1')).text).toMatch(/no instance named "m1"|already being deleted/);
    expect((await run('UADA', 'restore ghost')).text).toContain('no restorable snapshot of "ghost"');
  });

  it('quota and images', async () => {
    const quota = await run('UADA', 'quota');
    expect(quota.text).toMatch(/Machines: \d of 3/);
    const images = await run('UADA', 'images');
    expect(images.text).toContain('`ubuntu-22.04`');
    expect(images.text).toContain('`large` — 8 CPU, 32 GiB');
  });
});

describe('SSH keys', () => {
  it('adds, lists and removes public keys; refuses garbage', async () => {
    const key = publicKey('ada@laptop');
    const added = await run('UADA', `key add ${key}`);
    expect(added.text).toMatch(/Added ssh-ed25519 key `SHA256:/);
    expect((await run('UADA', `key add ${key}`)).text).toContain('already registered');
    const list = await run('UADA', 'key list');
    expect(list.json).toContain('ada@laptop');
    expect((await run('UADA', 'key add not-a-key')).text).toContain('not an OpenSSH public key');
    expect((await run('UADA', 'key')).text).toContain('`key` needs add, list or remove');
    expect((await run('UADA', 'key lst')).text).toContain('did you mean `key list`');
    expect((await run('UADA', 'key remove ada@laptop')).text).toContain('Removed key');
    // Only the key Ada had before (the fixture's) is left.
    const left = await run('UADA', 'key list');
    expect(left.json).not.toContain('ada@laptop');
    expect(left.json).toContain('fixture@tispace.test');
  });

  it('a pasted private key is refused with a warning, never stored, echoed or logged', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const body = pem.split('\n')[1]!;
    for (const text of [`key add ${pem}`, pem, `create web9 ${pem}`]) {
      const reply = await run('UADA', text);
      expect(reply.text).toContain('looks like a *private* key');
      expect(reply.text + reply.json).not.toContain(body);
    }
    const keys = h.provisioner.api.listKeys({ userId: 'UADA' });
    expect(keys.ok && keys.value.map((k) => k.comment)).toEqual(['fixture@tispace.test']);
    // Nothing Slack received and nothing the app logged contains the key material.
    expect(JSON.stringify(h.fake.calls)).not.toContain(body);
    expect(h.logs.join('')).not.toContain(body);
    expect(h.logs.length).toBeGreaterThan(0);
  });
});

describe('admin', () => {
  it('is refused for non-admins', async () => {
    expect((await run('UADA', 'admin list')).text).toContain('for TiSpace admins');
  });

  it('list, quota, capacity, keep/unkeep, stop/delete, reap --dry-run, and typos', async () => {
    await run('UBOB', 'create b1');
    const b1 = h.provisioner.api.get({ userId: 'UBOB' }, 'b1');
    if (!b1.ok) throw new Error(b1.error.message);
    expect((await run('UADMIN', 'admin list')).json).toContain(b1.value.id);
    expect((await run('UADMIN', 'admin quota <@UBOB|bob> --cpu 32 --instances 5')).text).toContain(
      'Quota of <@UBOB> is now 5 machines, 32 CPU',
    );
    expect((await run('UADMIN', 'admin quota UBOB')).text).toContain('give at least one of');
    expect((await run('UADMIN', 'admin quota nobody --cpu 1')).text).toContain('is not a user');
    expect((await run('UADMIN', 'admin quota UBOB --cpu -1')).text).toMatch(/unexpected|whole number/);
    expect((await run('UADMIN', 'admin capacity')).text).toMatch(/Cluster capacity.*\n`dev-1`/);
    expect((await run('UADMIN', `admin keep ${b1.value.id}`)).text).toContain('exempt from retention');
    expect(h.provisioner.store.instances.get(b1.value.id)?.keep).toBe(true);
    expect((await run('UADMIN', `admin unkeep ${b1.value.id}`)).text).toContain('follows retention again');
    expect((await run('UADMIN', 'admin keep')).text).toContain('needs one instance id');
    expect((await run('UADMIN', `admin stop ${b1.value.id}`)).text).toContain(
      `Stopping \`${b1.value.id}\` of <@UBOB>`,
    );
    expect((await run('UADMIN', `admin delete ${b1.value.id}`)).text).toContain('Deleting');
    expect((await run('UADMIN', 'admin reap')).text).toContain('only `--dry-run` is supported');
    expect((await run('UADMIN', 'admin reap --dry-run')).text).toContain(
      '`x-1` (<@UADA>): *stop* — lease ended',
    );
    expect((await run('UADMIN', 'admin capacty')).text).toContain('did you mean `admin capacity`');
  });
});

describe('interactions', () => {
  it('a forged action naming another user’s instance changes nothing and is answered with an error', async () => {
    await run('UBOB', 'create victim');
    const victim = h.provisioner.api.get({ userId: 'UBOB' }, 'victim');
    if (!victim.ok) throw new Error(victim.error.message);
    const before = h.provisioner.store.instances.get(victim.value.id)!;
    const replies = h.replies('UADA').length;
    for (const action of [ACTIONS.stop, ACTIONS.deleteConfirm, `${ACTIONS.extend}:7d`, ACTIONS.stillUsing]) {
      const r = await h.click('UADA', action, victim.value.id);
      expect(r.status).toBe(200);
    }
    await waitFor(async () => (h.replies('UADA').length >= replies + 4 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'four refusals',
    });
    for (const text of h.replies('UADA').slice(replies))
      expect(text).toContain(`no instance with id "${victim.value.id}" that you may act on`);
    const after = h.provisioner.store.instances.get(victim.value.id)!;
    expect(after.desired).toBe(before.desired);
    expect(after.leaseEndsAt).toBe(before.leaseEndsAt);
  });

  it('an unknown action is answered politely', async () => {
    const replies = h.replies('UADA').length;
    const r = await h.click('UADA', 'launch_missiles', 'x');
    expect(r.status).toBe(200);
    expect(await h.nextReply('UADA', replies)).toContain("I don't know that button");
  });

  it('user_change with deleted=true offboards the user and alerts admins', async () => {
    await run('UBOB', 'create leaver1');
    const r = await h.event({ type: 'user_change', user: { id: 'UBOB', deleted: true, name: 'bob' } });
    expect(r.status).toBe(200);
    await waitFor(
      async () => (h.provisioner.api.whoami({ userId: 'UBOB' }).user?.deactivatedAt ? true : undefined),
      {
        timeoutMs: 10_000,
        what: 'UBOB deactivated',
      },
    );
    const alert = await h.fake.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === 'DUADMIN' &&
        String(c.args.text).includes('offboarded'),
    );
    expect(String(alert.args.text)).toContain('<@UBOB> was offboarded (deactivated in Slack)');
    expect(String(alert.args.text)).toContain('leaver1');
    expect(h.provisioner.store.instances.listByOwner('UBOB').every((i) => i.desired !== 'running')).toBe(
      true,
    );
    expect((await run('UBOB', 'list')).text).toContain('deactivated');
  });

  it('admin reactivate @user lets an offboarded user back in; admins only; a clear answer for an active user', async () => {
    // UBOB was offboarded by the user_change test above.
    expect(h.provisioner.api.whoami({ userId: 'UBOB' }).user?.deactivatedAt).toBeTruthy();
    expect((await run('UADA', 'admin reactivate <@UBOB|bob>')).text).toContain('for TiSpace admins');
    expect(h.provisioner.api.whoami({ userId: 'UBOB' }).user?.deactivatedAt).toBeTruthy();

    expect((await run('UADMIN', 'admin reactivate <@UADA|ada>')).text).toContain(
      '<@UADA> is not deactivated; there is nothing to reactivate',
    );
    expect((await run('UADMIN', 'admin reactivate bob')).text).toContain('needs one user');

    const back = await run('UADMIN', 'admin reactivate <@UBOB|bob>');
    expect(back.text).toContain('<@UBOB> is reactivated');
    expect(h.provisioner.api.whoami({ userId: 'UBOB' }).user?.deactivatedAt).toBeNull();
    expect(h.provisioner.store.audit.search({ action: 'user-reactivated' }, 10)).toMatchObject([
      { actor: 'UADMIN', details: { userId: 'UBOB' } },
    ]);
    expect((await run('UBOB', 'list')).text).not.toContain('deactivated');
  });
});
