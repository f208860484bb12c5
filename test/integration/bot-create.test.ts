// End to end: signed Slack requests → Bolt → provisioner → real control plane → progress DM updated in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BLOCKS, CREATE_INPUTS } from '../../bot/constants.ts';
import { postCommand, postSigned } from '../fakes/slack/sign.ts';
import { type BotHarness, SIGNING_SECRET, startBotHarness } from './support/bot-harness.ts';
import { useNamespace, waitFor } from './support/cluster.ts';
import { publishGoldenImage } from './support/provisioner.ts';

const ns = useNamespace('bot-create');
let h: BotHarness;

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  h = await startBotHarness({ namespace: ns.name });
  h.link('UADA', 'ada@example.com');
});
afterAll(async () => {
  await h?.close();
});

const lastText = (blocks: unknown[] | undefined): string => JSON.stringify(blocks ?? []);

describe('Slack request verification', () => {
  it('accepts a validly signed command and refuses a wrong signature or an old timestamp', async () => {
    const ok = await h.command('UADA', 'help');
    expect(ok.status).toBe(200);
    const forged = await postCommand(
      h.url,
      SIGNING_SECRET,
      { command: '/tispace', text: 'help', user_id: 'UADA', team_id: 'TFAKE' },
      { signature: 'v0=deadbeef' },
    );
    expect(forged.status).toBe(401);
    const stale = await postCommand(
      h.url,
      SIGNING_SECRET,
      { command: '/tispace', text: 'help', user_id: 'UADA', team_id: 'TFAKE' },
      { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
    );
    expect(stale.status).toBe(401);
    const wrongSecret = await postCommand(h.url, 'not-the-secret', {
      command: '/tispace',
      text: 'help',
      user_id: 'UADA',
      team_id: 'TFAKE',
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('answers url_verification with the challenge', async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'ch4llenge', type: 'url_verification' });
    const r = await postSigned(h.url, SIGNING_SECRET, body, 'application/json');
    expect(r.status).toBe(200);
    expect(r.text).toContain('ch4llenge');
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${h.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, store: true, kubernetes: true });
    const metrics = await (await fetch(`${h.origin}/metrics`)).text();
    expect(metrics).toContain('tispace_slack_requests_total');
  });
});

describe('create', () => {
  it('creates directly from arguments; one DM follows the machine until it is ready with the SSH command', async () => {
    const before = h.replies('UADA').length;
    const r = await h.command('UADA', 'create web1 --cpu 2 --mem 4 --disk 20 --lease 3d');
    expect(r.status).toBe(200);
    const reply = await h.nextReply('UADA', before);
    expect(reply).toContain('Creating *web1*');
    const instance = await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UADA' }, 'web1');
        return got.ok && got.value.phase === 'running' && got.value.sshHost ? got.value : undefined;
      },
      { timeoutMs: 60_000, what: 'web1 running' },
    );
    await h.bot.notifier.idle();
    const ref = JSON.parse(instance.notifyRef!) as { channel: string; ts: string };
    const message = await waitFor(
      async () => {
        const m = h.fake.message(ref.channel, ref.ts);
        return m && lastText(m.blocks).includes('ssh -J') ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'progress message with the SSH command' },
    );
    expect(message.history.length).toBeGreaterThanOrEqual(2);
    expect(message.history[0]!.by).toBe('chat.postMessage');
    expect(message.history.at(-1)!.by).toBe('chat.update');
    // Through the gateway (default config: localhost) to the machine's stable name.
    expect(message.text).toContain(`ssh -J tispace@localhost ubuntu@${instance.id}-ssh.${ns.name}`);
    expect(message.text).toContain(`ssh -J ${instance.sshJump} ubuntu@${instance.sshHost}`);
    // The ready DM also says which host key to expect and opens the machine in VS Code.
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toMatch(/\*Host key\* (`ED25519 SHA256:[A-Za-z0-9+/]{43}`|not read yet)/);
    expect(blocks).toContain('<vscode://vscode-remote/ssh-remote+web1.tispace/home/ubuntu|Open in VS Code>');
    // Only one DM for this instance: the rest were in-place updates.
    expect(
      h.fake.messagesIn(ref.channel).filter((m) => JSON.stringify(m.blocks).includes('web1')),
    ).toHaveLength(1);
  });
});

const input = (value: string) => ({ type: 'plain_text_input', value });
const select = (value: string) => ({
  type: 'static_select',
  selected_option: { value, text: { type: 'plain_text', text: value } },
});
const num = (value: string | null) => ({ type: 'number_input', value });

function formValues(o: {
  name: string;
  size?: string;
  cpu?: string | null;
  mem?: string | null;
  disk?: string | null;
  lease?: string;
  image?: string;
}) {
  return {
    [CREATE_BLOCKS.name]: { [CREATE_INPUTS.name]: input(o.name) },
    [CREATE_BLOCKS.image]: { [CREATE_INPUTS.image]: select(o.image ?? 'ubuntu-22.04') },
    [CREATE_BLOCKS.size]: { [CREATE_INPUTS.size]: select(o.size ?? 'small') },
    [CREATE_BLOCKS.cpu]: { [CREATE_INPUTS.cpu]: num(o.cpu ?? null) },
    [CREATE_BLOCKS.memoryGiB]: { [CREATE_INPUTS.memoryGiB]: num(o.mem ?? null) },
    [CREATE_BLOCKS.diskGiB]: { [CREATE_INPUTS.diskGiB]: num(o.disk ?? null) },
    [CREATE_BLOCKS.lease]: { [CREATE_INPUTS.lease]: select(o.lease ?? '7d') },
  };
}

describe('create modal', () => {
  it('opens the form, shows inline errors, then creates the machine and follows it by DM', async () => {
    h.link('UBOB', 'bob@example.com');
    const r = await h.command('UBOB', 'create');
    expect(r.status).toBe(200);
    const form = await waitFor(
      async () => {
        const v = h.fake.views.stack('UBOB').at(-1);
        return v?.callback_id === 'create_instance' ? v : undefined;
      },
      { timeoutMs: 10_000, what: 'the create form' },
    );
    const json = JSON.stringify(form.blocks);
    expect(json).toContain('ubuntu-22.04');
    // Sizes offered fit the default quota (16 CPU): xlarge (16 CPU, 64 GiB) fits exactly, none is bigger.
    expect(json).toContain('small');

    // A bad name and a custom size without numbers: answered inline, per field.
    const bad = await h.submit('UBOB', formValues({ name: 'Bad_Name', size: 'custom' }));
    expect(bad.status).toBe(200);
    expect(bad.json).toMatchObject({
      response_action: 'errors',
      errors: { [CREATE_BLOCKS.cpu]: expect.any(String), [CREATE_BLOCKS.memoryGiB]: expect.any(String) },
    });
    const badName = await h.submit('UBOB', formValues({ name: 'Bad_Name', size: 'small' }));
    expect(badName.json).toMatchObject({
      response_action: 'errors',
      errors: { [CREATE_BLOCKS.name]: expect.stringContaining('not a valid name') },
    });
    // Over the quota: the provisioner's refusal lands on the CPU field of a custom size.
    const tooBig = await h.submit('UBOB', formValues({ name: 'big1', size: 'custom', cpu: '17', mem: '8' }));
    expect(tooBig.json).toMatchObject({
      response_action: 'errors',
      errors: { [CREATE_BLOCKS.cpu]: expect.stringMatching(/cpu/i) },
    });
    const badDisk = await h.submit('UBOB', formValues({ name: 'dev1', disk: '5' }));
    expect(badDisk.json).toMatchObject({
      response_action: 'errors',
      errors: { [CREATE_BLOCKS.diskGiB]: expect.stringContaining('disk') },
    });

    const good = await h.submit('UBOB', formValues({ name: 'dev1', size: 'small', lease: '3d' }));
    expect(good.status).toBe(200);
    expect(good.text === '' || !JSON.stringify(good.json ?? {}).includes('errors')).toBe(true);
    const instance = await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UBOB' }, 'dev1');
        return got.ok && got.value.phase === 'running' && got.value.sshHost ? got.value : undefined;
      },
      { timeoutMs: 60_000, what: 'dev1 running' },
    );
    expect(instance).toMatchObject({ cpu: 2, memoryGiB: 8, diskGiB: 20 });
    await h.bot.notifier.idle();
    const ref = JSON.parse(instance.notifyRef!) as { channel: string; ts: string };
    await waitFor(
      async () => (h.fake.message(ref.channel, ref.ts)?.text?.includes('ssh -J') ? true : undefined),
      { timeoutMs: 20_000, what: 'dev1 progress message with SSH' },
    );
    // A second machine of the same name is refused inline (uniqueness).
    await h.command('UBOB', 'create');
    await waitFor(
      async () => (h.fake.views.stack('UBOB').at(-1)?.callback_id === 'create_instance' ? true : undefined),
      {
        timeoutMs: 10_000,
        what: 'second form',
      },
    );
    const dup = await h.submit('UBOB', formValues({ name: 'dev1' }));
    expect(dup.json).toMatchObject({
      response_action: 'errors',
      errors: { [CREATE_BLOCKS.name]: expect.stringContaining('already have') },
    });
  });
});
