import { ErrorCode, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack/fake-slack.ts';

const TOKEN = 'xoxb-test-token';
const pt = (text: string) => ({ type: 'plain_text' as const, text });

let clock = 1_700_000_000_000;
let fake: FakeSlack;
let web: WebClient;

beforeEach(async () => {
  clock = 1_700_000_000_000;
  fake = await startFakeSlack({
    token: TOKEN,
    now: () => clock,
    channels: ['C0ADMIN'],
    users: [
      {
        id: 'U1',
        real_name: 'Ada',
        tz: 'Europe/Paris',
        tz_offset: 3600,
        profile: { email: 'ada@example.com' },
      },
      { id: 'U2', email: 'bob@example.com', is_admin: true },
      { id: 'U3', deleted: true, email: 'gone@example.com' },
    ],
  });
  web = new WebClient(TOKEN, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
});
afterEach(async () => {
  await fake.close();
});

/** The platform error code of a rejected WebClient call. */
async function slackError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; data?: { error?: string } };
    if (err.code === ErrorCode.PlatformError) return err.data?.error ?? 'no error field';
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('protocol and auth', () => {
  it('serves auth.test to the real WebClient', async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const r = await web.auth.test();
    expect(r).toMatchObject({ ok: true, team_id: 'TFAKE', user_id: 'UFAKEBOT', bot_id: 'BFAKEBOT' });
    const call = fake.callsTo('auth.test')[0]!;
    expect(call.token).toBe(TOKEN);
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
  });

  it('answers not_authed / invalid_auth / unknown_method with HTTP 200', async () => {
    expect(
      await slackError(
        new WebClient(undefined, { slackApiUrl: fake.url, retryConfig: { retries: 0 } }).auth.test(),
      ),
    ).toBe('not_authed');
    expect(await slackError(web.auth.test({ token: 'xoxb-wrong' }))).toBe('invalid_auth');
    expect(await slackError(web.apiCall('no.such.method'))).toBe('unknown_method');
    expect(fake.calls.map((c) => c.status)).toEqual([200, 200, 200]);
  });

  it('accepts JSON bodies and the token in the body', async () => {
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ channel: 'C0ADMIN', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0ADMIN' });
    const form = await fetch(`${fake.url}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(await form.json()).toMatchObject({ ok: true });
  });
});

describe('chat', () => {
  it('posts, updates (keeping history) and deletes messages', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*dev1* is starting' } }];
    const posted = await web.chat.postMessage({ channel: 'C0ADMIN', text: 'dev1 starting', blocks });
    expect(posted.ts).toMatch(/^1700000000\.\d{6}$/);
    const second = await web.chat.postMessage({ channel: 'C0ADMIN', text: 'again' });
    expect(second.ts).not.toBe(posted.ts);
    // blocks arrived JSON-decoded from the form body
    expect(fake.callsTo('chat.postMessage')[0]!.args.blocks).toEqual(blocks);

    clock += 1000;
    await web.chat.update({ channel: 'C0ADMIN', ts: posted.ts!, text: 'dev1 ready' });
    const m = fake.message('C0ADMIN', posted.ts!)!;
    expect(m.text).toBe('dev1 ready');
    expect(m.history.map((h) => h.text)).toEqual(['dev1 starting', 'dev1 ready']);
    expect(m.history[0]!.blocks).toEqual(blocks);

    expect(await slackError(web.chat.update({ channel: 'C0ADMIN', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
    await web.chat.delete({ channel: 'C0ADMIN', ts: posted.ts! });
    expect(fake.messagesIn('C0ADMIN').map((x) => x.ts)).toEqual([second.ts]);
    expect(await slackError(web.chat.delete({ channel: 'C0ADMIN', ts: posted.ts! }))).toBe(
      'message_not_found',
    );
  });

  it('reports channel_not_found, no_text, msg_too_long', async () => {
    expect(await slackError(web.chat.postMessage({ channel: 'C404', text: 'x' }))).toBe('channel_not_found');
    expect(await slackError(web.chat.postMessage({ channel: 'C0ADMIN', text: '' }))).toBe('no_text');
    expect(await slackError(web.chat.postMessage({ channel: 'C0ADMIN', text: 'x'.repeat(40_001) }))).toBe(
      'msg_too_long',
    );
  });

  it('answers invalid_blocks with the errors and response_metadata like Slack', async () => {
    const err = await web.chat
      .postMessage({ channel: 'C0ADMIN', text: 't', blocks: [{ type: 'header', text: pt('x'.repeat(151)) }] })
      .then(
        () => undefined,
        (e: { data: Record<string, unknown> }) => e.data,
      );
    expect(err).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      errors: ['must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
      response_metadata: {
        messages: ['[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
      },
    });
    const raw = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` },
      body: 'channel=C0ADMIN&blocks=%5Bnot-json',
    });
    expect(await raw.json()).toMatchObject({ ok: false, error: 'invalid_blocks_format' });
  });

  it('opens DMs as D+user and posts to them; ephemeral messages are recorded per user', async () => {
    const dm = await web.conversations.open({ users: 'U1' });
    expect(dm.channel?.id).toBe('DU1');
    const byUserId = await web.chat.postMessage({ channel: 'U1', text: 'hi' });
    expect(byUserId.channel).toBe('DU1');
    expect(await slackError(web.conversations.open({ users: 'U404' }))).toBe('user_not_found');
    expect(await slackError(web.apiCall('conversations.open', {}))).toBe('users_list_not_supplied');

    const eph = await web.chat.postEphemeral({ channel: 'C0ADMIN', user: 'U2', text: 'only you' });
    expect(eph.message_ts).toBeTruthy();
    expect(fake.ephemeral.get('U2')?.[0]).toMatchObject({ source: 'chat.postEphemeral', text: 'only you' });
  });
});

describe('users', () => {
  it('serves users.info and users.lookupByEmail', async () => {
    const info = await web.users.info({ user: 'U1' });
    expect(info.user).toMatchObject({
      id: 'U1',
      team_id: 'TFAKE',
      real_name: 'Ada',
      tz: 'Europe/Paris',
      tz_offset: 3600,
      deleted: false,
      is_admin: false,
      profile: { email: 'ada@example.com' },
    });
    expect((await web.users.info({ user: 'U3' })).user?.deleted).toBe(true);
    expect((await web.users.lookupByEmail({ email: 'BOB@example.com' })).user?.id).toBe('U2');
    expect(await slackError(web.users.info({ user: 'U404' }))).toBe('user_not_found');
    expect(await slackError(web.users.lookupByEmail({ email: 'nobody@example.com' }))).toBe(
      'users_not_found',
    );
  });

  it('pages users.list with cursors as Slack does, deactivated members included, and refuses a bad cursor', async () => {
    const first = await web.users.list({ limit: 2 });
    expect(first.members?.map((m) => m.id)).toEqual(['U1', 'U2']);
    const cursor = first.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await web.users.list({ limit: 2, cursor: cursor! });
    expect(second.members?.map((m) => [m.id, m.deleted])).toEqual([['U3', true]]);
    expect(second.response_metadata?.next_cursor).toBe('');
    // The WebClient's paginate() walks every page.
    const ids: string[] = [];
    for await (const page of web.paginate('users.list', { limit: 1 }))
      ids.push(...((page as { members?: { id: string }[] }).members ?? []).map((m) => m.id));
    expect(ids).toEqual(['U1', 'U2', 'U3']);
    expect(await slackError(web.users.list({ cursor: 'bm90IGEgY3Vyc29y' }))).toBe('invalid_cursor');
  });
});

describe('views', () => {
  const modal = (title = 'Create') => ({
    type: 'modal' as const,
    callback_id: 'create',
    title: pt(title),
    submit: pt('Create'),
    blocks: [
      {
        type: 'input',
        block_id: 'name',
        label: pt('Name'),
        element: { type: 'plain_text_input', action_id: 'v' },
      },
    ],
  });

  it('opens a modal with a single-use trigger id that expires after 3 s', async () => {
    const trigger = fake.mintTriggerId({ user: 'U1' });
    const opened = await web.views.open({ trigger_id: trigger, view: modal() });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'create', hash: expect.any(String) });
    expect(fake.views.stack('U1').map((v) => v.id)).toEqual([opened.view!.id]);
    expect(await slackError(web.views.open({ trigger_id: trigger, view: modal() }))).toBe(
      'exchanged_trigger_id',
    );
    expect(await slackError(web.views.open({ trigger_id: 'nope', view: modal() }))).toBe(
      'invalid_trigger_id',
    );
    const late = fake.mintTriggerId({ user: 'U1' });
    clock += 3001;
    expect(await slackError(web.views.open({ trigger_id: late, view: modal() }))).toBe('expired_trigger_id');
  });

  it('validates views (invalid_arguments with the json-pointer messages) without spending the trigger', async () => {
    const trigger = fake.mintTriggerId({ user: 'U1' });
    const data = await web.views.open({ trigger_id: trigger, view: modal('t'.repeat(25)) }).then(
      () => undefined,
      (e: { data: Record<string, unknown> }) => e.data,
    );
    expect(data).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
      response_metadata: {
        messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
      },
    });
    await web.views.open({ trigger_id: trigger, view: modal() });
  });

  it('updates by view_id or external_id with hash checks; push stacks views', async () => {
    const opened = await web.views.open({
      trigger_id: fake.mintTriggerId({ user: 'U1' }),
      view: { ...modal(), external_id: 'req-1' },
    });
    const v = opened.view!;
    const updated = await web.views.update({ view_id: v.id!, hash: v.hash!, view: modal('Creating…') });
    expect(updated.view?.hash).not.toBe(v.hash);
    expect(await slackError(web.views.update({ view_id: v.id!, hash: v.hash!, view: modal('Stale') }))).toBe(
      'hash_conflict',
    );
    await web.views.update({ external_id: 'req-1', view: modal('Done') });
    expect(fake.views.byId(v.id!)?.history).toHaveLength(3);
    expect(await slackError(web.views.update({ view_id: 'V404', view: modal() }))).toBe('not_found');

    const pushed = await web.views.push({
      trigger_id: fake.mintTriggerId({ user: 'U1' }),
      view: modal('Step 2'),
    });
    expect(pushed.view?.previous_view_id).toBe(v.id);
    expect(fake.views.stack('U1')).toHaveLength(2);
  });

  it('publishes the home tab per user with hash checks', async () => {
    const home = {
      type: 'home' as const,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'no instances' } }],
    };
    const first = await web.views.publish({ user_id: 'U1', view: home });
    await web.views.publish({ user_id: 'U1', view: home, hash: first.view!.hash! });
    expect(await slackError(web.views.publish({ user_id: 'U1', view: home, hash: first.view!.hash! }))).toBe(
      'hash_conflict',
    );
    expect(fake.views.home.get('U1')?.history).toHaveLength(2);
    expect(await slackError(web.views.publish({ user_id: 'U404', view: home }))).toBe('user_not_found');
    // input blocks are refused outside modals
    const withInput = {
      type: 'home' as const,
      blocks: [{ type: 'input', label: pt('x'), element: { type: 'plain_text_input', action_id: 'a' } }],
    };
    expect(await slackError(web.views.publish({ user_id: 'U1', view: withInput }))).toBe('invalid_arguments');
  });
});

describe('rate limiting', () => {
  it('answers 429 + Retry-After; WebClient surfaces it as a rate-limited error', async () => {
    fake.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 7 });
    const strict = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const err = await strict.chat.postMessage({ channel: 'C0ADMIN', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    const call = fake.callsTo('chat.postMessage')[0]!;
    expect(call.status).toBe(429);
    expect(call.response).toEqual({ ok: false, error: 'ratelimited' });
    // the limit is used up: next call passes
    await strict.chat.postMessage({ channel: 'C0ADMIN', text: 'x' });
  });

  it('WebClient waits Retry-After and retries', async () => {
    fake.rateLimit('auth.test', { times: 1, retryAfterSeconds: 1 });
    const retrying = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
    });
    const events: number[] = [];
    retrying.on(WebClientEvent.RATE_LIMITED, (sec: number) => events.push(sec));
    const started = Date.now();
    await retrying.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events).toEqual([1]);
    expect(fake.callsTo('auth.test').map((c) => c.status)).toEqual([429, 200]);
  });

  it('applies tier limits per minute when enabled', async () => {
    fake.setTierLimits(true);
    for (let i = 0; i < 50; i++) await web.users.lookupByEmail({ email: 'ada@example.com' });
    const strict = new WebClient(TOKEN, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const err = await strict.users.lookupByEmail({ email: 'ada@example.com' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError });
    const retryAfter = (err as { retryAfter: number }).retryAfter;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    clock += 60_000;
    await web.users.lookupByEmail({ email: 'ada@example.com' });
  });
});

describe('response_url', () => {
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('records ephemeral and in_channel replies, replace/delete original, at most 5 uses', async () => {
    const original = await web.chat.postMessage({ channel: 'C0ADMIN', text: 'pick a size' });
    const url = fake.mintResponseUrl({ channel: 'C0ADMIN', user: 'U1', messageTs: original.ts! });
    expect((await post(url, { text: 'working on it' })).status).toBe(200);
    expect(fake.ephemeral.get('U1')?.[0]).toMatchObject({ source: 'response_url', text: 'working on it' });
    await post(url, { replace_original: true, text: 'size chosen' });
    expect(fake.message('C0ADMIN', original.ts!)?.history.map((h) => h.text)).toEqual([
      'pick a size',
      'size chosen',
    ]);
    await post(url, { response_type: 'in_channel', text: 'dev1 created' });
    expect(fake.messagesIn('C0ADMIN').map((m) => m.text)).toContain('dev1 created');
    const bad = await post(url, { blocks: [{ type: 'nope' }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_blocks' });
    await post(url, { delete_original: true });
    expect(fake.message('C0ADMIN', original.ts!)?.deleted).toBe(true);
    const sixth = await post(url, { text: 'too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.text()).toBe('used_url');
    expect(fake.callsTo('response_url')).toHaveLength(6);
  });

  it('expires after 30 minutes', async () => {
    const url = fake.mintResponseUrl({ channel: 'DU1', user: 'U1' });
    clock += 30 * 60_000 + 1;
    const r = await post(url, { text: 'late' });
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('expired_url');
  });
});

describe('waitFor', () => {
  it('resolves on a future call without sleeping, and on past calls', async () => {
    const pending = fake.waitFor((c) => c.method === 'chat.postMessage' && c.args.text === 'later', 2000);
    setTimeout(() => void web.chat.postMessage({ channel: 'C0ADMIN', text: 'later' }), 10);
    const call = await pending;
    expect(call.response.ok).toBe(true);
    expect((await fake.waitFor('chat.postMessage')).seq).toBe(call.seq);
    await expect(fake.waitFor('chat.postMessage', 50, { afterSeq: call.seq })).rejects.toThrow(
      /no matching call/,
    );
  });
});
