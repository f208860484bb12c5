// The fakes together with the real Bolt App: signed requests pass Bolt's verification, forged ones do not,
// and Bolt's client talks to the fake Web API (auth.test, views.open with a minted trigger, respond()).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack/fake-slack.ts';
import { postCommand, postInteraction } from '../../fakes/slack/sign.ts';

const SECRET = 'test-signing-secret';
const TOKEN = 'xoxb-bolt';
let fake: FakeSlack;
let app: App;
let url = '';

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, users: [{ id: 'U1', email: 'ada@example.com' }] });
  app = new App({
    token: TOKEN,
    signingSecret: SECRET,
    clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  });
  app.command('/tispace', async ({ ack, body, client, respond }) => {
    await ack();
    await client.views.open({
      trigger_id: body.trigger_id,
      view: { type: 'modal', title: { type: 'plain_text', text: 'TiSpace' }, blocks: [] },
    });
    await respond({ text: `hello ${body.text}` });
  });
  app.action('extend', async ({ ack, respond }) => {
    await ack();
    await respond({ replace_original: true, text: 'extended' });
  });
  const server = (await app.start(0)) as Server;
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});
afterAll(async () => {
  await app.stop();
  await fake.close();
});

describe('Bolt + fake Slack + signed requests', () => {
  it('a signed slash command is acked and its listener reaches the fake', async () => {
    const responseUrl = fake.mintResponseUrl({ channel: 'DU1', user: 'U1' });
    const r = await postCommand(url, SECRET, {
      command: '/tispace',
      text: 'dev1',
      user_id: 'U1',
      team_id: 'TFAKE',
      trigger_id: fake.mintTriggerId({ user: 'U1' }),
      response_url: responseUrl,
      channel_id: 'DU1',
    });
    expect(r.status).toBe(200);
    await fake.waitFor('views.open');
    await fake.waitFor('response_url');
    expect(fake.callsTo('views.open')[0]!.response.ok).toBe(true);
    expect(fake.views.stack('U1')).toHaveLength(1);
    expect(fake.ephemeral.get('U1')?.at(-1)?.text).toBe('hello dev1');
  });

  it('a forged signature is refused by Bolt', async () => {
    const r = await postCommand(
      url,
      SECRET,
      { command: '/tispace', user_id: 'U1', team_id: 'TFAKE' },
      { signature: 'v0=00' },
    );
    expect(r.status).toBe(401);
    const stale = await postCommand(
      url,
      SECRET,
      { command: '/tispace', user_id: 'U1', team_id: 'TFAKE' },
      { timestamp: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(stale.status).toBe(401);
  });

  it('block_actions respond() replaces the original message', async () => {
    const posted = await app.client.chat.postMessage({ channel: 'U1', text: 'lease ends soon' });
    const responseUrl = fake.mintResponseUrl({ channel: posted.channel!, user: 'U1', messageTs: posted.ts! });
    const r = await postInteraction(url, SECRET, {
      type: 'block_actions',
      team: { id: 'TFAKE', domain: 'fake' },
      user: { id: 'U1', username: 'ada', team_id: 'TFAKE' },
      api_app_id: 'AFAKEAPP',
      token: 'x',
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel, is_ephemeral: false },
      trigger_id: fake.mintTriggerId({ user: 'U1' }),
      channel: { id: posted.channel, name: 'directmessage' },
      message: { type: 'message', ts: posted.ts, text: 'lease ends soon' },
      response_url: responseUrl,
      actions: [{ type: 'button', action_id: 'extend', block_id: 'b', value: 'dev1', action_ts: '1' }],
    });
    expect(r.status).toBe(200);
    await fake.waitFor('response_url');
    await fake.waitFor((c) => c.method === 'response_url' && c.args.text === 'extended');
    expect(fake.message(posted.channel!, posted.ts!)?.history.map((h) => h.text)).toEqual([
      'lease ends soon',
      'extended',
    ]);
  });
});
