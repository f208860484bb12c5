// Slack's 3-second rule holds while Kubernetes is unreachable and the provisioner is slow; Slack 429s are
// retried after Retry-After; other Slack failures are logged and never crash anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BLOCKS, CREATE_INPUTS } from '../../bot/constants.ts';
import type { ProvisionerApi } from '../../provisioner/api.ts';
import { nowhereKubeConfig } from '../support/kube-config.ts';
import { type BotHarness, startBotHarness } from './support/bot-harness.ts';
import { useNamespace, waitFor } from './support/cluster.ts';
import { publishGoldenImage } from './support/provisioner.ts';

const DELAY_MS = 4000;

/** The provisioner API with every asynchronous call delayed (as when the Kubernetes API is slow). */
function slowApi(api: ProvisionerApi): ProvisionerApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (!['create', 'limits', 'start', 'restore'].includes(String(prop))) return fn.bind(target);
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, DELAY_MS));
        return fn.apply(target, args);
      };
    },
  });
}

describe('with Kubernetes unreachable and a slow provisioner', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBotHarness({
      namespace: 'tispace-nowhere',
      kubeConfig: nowhereKubeConfig(),
      wrapApi: slowApi,
      startProvisioner: false,
    });
    h.link('UADA', 'ada@example.com');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('acknowledges a command within 3 s and answers later through response_url', async () => {
    const before = h.replies('UADA').length;
    const r = await h.command('UADA', 'create web1 --size small');
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    const reply = await h.nextReply('UADA', before, DELAY_MS + 5000);
    // No node is known when the cluster cannot be reached: refused with why.
    expect(reply).toContain('no development node is available');
  });

  it('acknowledges the modal command within 3 s: a placeholder opens at once and is replaced later', async () => {
    const r = await h.command('UADA', 'create');
    expect(r.ms).toBeLessThan(3000);
    const opened = await h.fake.waitFor(
      (c) => c.method === 'views.open' && c.args.trigger_id !== undefined,
      3000,
    );
    expect(opened.response.ok).toBe(true);
    await h.fake.waitFor('views.update', DELAY_MS + 5000);
    // Without a reachable cluster no node has room: the form says so instead of offering sizes.
    expect(JSON.stringify(h.fake.views.stack('UADA').at(-1)?.blocks)).toContain(
      'Not even the smallest machine fits',
    );
  });

  it('acknowledges a modal submission within 3 s and reports the outcome by DM', async () => {
    const seq = h.fake.calls.at(-1)?.seq ?? 0;
    const select = (value: string) => ({ type: 'static_select', selected_option: { value } });
    const r = await h.interaction({
      type: 'view_submission',
      team: { id: 'TFAKE' },
      user: { id: 'UADA', team_id: 'TFAKE' },
      api_app_id: 'AFAKEAPP',
      trigger_id: h.fake.mintTriggerId({ user: 'UADA' }),
      view: {
        id: 'VFORM',
        type: 'modal',
        callback_id: 'create_instance',
        private_metadata: '',
        hash: 'h',
        state: {
          values: {
            [CREATE_BLOCKS.name]: { [CREATE_INPUTS.name]: { type: 'plain_text_input', value: 'web2' } },
            [CREATE_BLOCKS.image]: { [CREATE_INPUTS.image]: select('ubuntu-22.04') },
            [CREATE_BLOCKS.size]: { [CREATE_INPUTS.size]: select('small') },
            [CREATE_BLOCKS.lease]: { [CREATE_INPUTS.lease]: select('7d') },
          },
        },
      },
    });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    const dm = await h.fake.waitFor(
      (c) => c.method === 'chat.postMessage' && String(c.args.text).includes('Could not create web2'),
      DELAY_MS + 5000,
      { afterSeq: seq },
    );
    expect(String(dm.args.text)).toContain('no development node is available');
  });

  it('acknowledges fast commands fast, and reports not ready on /readyz', async () => {
    const r = await h.command('UADA', 'list');
    expect(r.ms).toBeLessThan(1000);
    const ready = await fetch(`${h.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, kubernetes: false });
  });
});

describe('Slack rate limits and errors', () => {
  const ns = useNamespace('bot-429');
  let h: BotHarness;
  beforeAll(async () => {
    await publishGoldenImage(ns.name);
    h = await startBotHarness({
      namespace: ns.name,
      retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 },
    });
    h.link('UADA', 'ada@example.com');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('retries a 429 after Retry-After and delivers the message', async () => {
    const created = await h.provisioner.api.create(
      { userId: 'UADA' },
      { name: 'r1', size: 'small', diskGiB: 20 },
    );
    if (!created.ok) throw new Error(created.error.message);
    // The create's own progress DMs go first (posted, then updated at each phase until running): otherwise
    // one of them may meet the 429 instead of the notice, which then goes through at once.
    await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UADA' }, 'r1');
        return got.ok && got.value.phase === 'running' ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'r1 running' },
    );
    await h.bot.notifier.idle();
    h.fake.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const delivered = await h.bot.notifier.notice('UADA', { kind: 'lease-expired', instance: created.value });
    expect(delivered).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const calls = h.fake
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).includes('r1 was stopped'));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('rate-limited progress updates still land in place', async () => {
    const created = await h.provisioner.api.create(
      { userId: 'UADA' },
      { name: 'r2', size: 'small', diskGiB: 20 },
    );
    if (!created.ok) throw new Error(created.error.message);
    await h.bot.notifier.trackProgress(created.value);
    h.fake.rateLimit('chat.update', { times: 2, retryAfterSeconds: 1 });
    const running = await waitFor(
      async () => {
        const got = h.provisioner.api.get({ userId: 'UADA' }, 'r2');
        return got.ok && got.value.phase === 'running' ? got.value : undefined;
      },
      { timeoutMs: 60_000, what: 'r2 running' },
    );
    await h.bot.notifier.idle();
    const ref = JSON.parse(h.provisioner.store.instances.get(running.id)!.notifyRef!) as {
      channel: string;
      ts: string;
    };
    await waitFor(
      async () =>
        h.fake.message(ref.channel, ref.ts)?.text?.includes('is ready') ||
        h.fake.message(ref.channel, ref.ts)?.text?.includes('running')
          ? true
          : undefined,
      {
        timeoutMs: 20_000,
        what: 'r2 progress message updated',
      },
    );
    expect(h.fake.callsTo('chat.update').some((c) => c.status === 429)).toBe(true);
  });

  it('other Slack errors are logged with context and do not throw', async () => {
    const created = await h.provisioner.api.create(
      { userId: 'UADA' },
      { name: 'r3', size: 'small', diskGiB: 20 },
    );
    if (!created.ok) throw new Error(created.error.message);
    await expect(
      h.bot.notifier.instanceChanged(
        { ...created.value, ownerId: 'UGONE', notifyRef: '{"channel":"CNOPE","ts":"1.2"}' },
        { from: 'provisioning', to: 'running' },
      ),
    ).resolves.toBeUndefined();
    await h.bot.notifier.idle();
    const log = h.logs.join('');
    expect(log).toContain('channel_not_found');
    expect(log).toContain('could not update the progress message');
    expect(log).toContain('user_not_found');
  });
});
