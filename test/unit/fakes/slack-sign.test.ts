import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postCommand,
  postEvent,
  postInteraction,
  signSlackRequest,
  slashCommandBody,
} from '../../fakes/slack/sign.ts';

// Slack's worked example (docs "Verifying requests from Slack"; also bolt-js receiver tests).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

describe('signSlackRequest', () => {
  it('matches the official test vector', () => {
    expect(signSlackRequest({ signingSecret: DOC_SECRET, body: DOC_BODY, timestamp: DOC_TS })).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it('defaults the timestamp to now (seconds)', () => {
    const h = signSlackRequest({ signingSecret: 's', body: '' });
    expect(Math.abs(Number(h['x-slack-request-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('signed posts over HTTP', () => {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ got: true }));
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const verify = (i: number, secret: string) => {
    const s = seen[i]!;
    const expected = signSlackRequest({
      signingSecret: secret,
      body: s.body,
      timestamp: String(s.headers['x-slack-request-timestamp']),
    });
    expect(s.headers['x-slack-signature']).toBe(expected['x-slack-signature']);
  };

  it('posts a slash command as a signed form', async () => {
    const r = await postCommand(url, 'sec', {
      command: '/tispace',
      text: 'create dev1',
      user_id: 'U1',
      team_id: 'T1',
      trigger_id: '1.2.3',
      response_url: 'http://x/hooks/1',
      channel_id: 'C1',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ got: true });
    expect(r.ms).toBeGreaterThan(0);
    const s = seen.at(-1)!;
    expect(s.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(s.body);
    expect(form.get('command')).toBe('/tispace');
    expect(form.get('text')).toBe('create dev1');
    expect(form.get('trigger_id')).toBe('1.2.3');
    verify(seen.length - 1, 'sec');
  });

  it('posts interactions as payload=<json> and events as JSON', async () => {
    await postInteraction(url, 'sec', { type: 'block_actions', actions: [{ action_id: 'a' }] });
    let s = seen.at(-1)!;
    expect(JSON.parse(new URLSearchParams(s.body).get('payload')!)).toMatchObject({ type: 'block_actions' });
    verify(seen.length - 1, 'sec');
    await postEvent(url, 'sec', { type: 'app_home_opened', user: 'U1' });
    s = seen.at(-1)!;
    expect(s.headers['content-type']).toBe('application/json');
    expect(JSON.parse(s.body)).toMatchObject({ type: 'event_callback', event: { type: 'app_home_opened' } });
    verify(seen.length - 1, 'sec');
  });

  it('can send a stale timestamp or a forged signature', async () => {
    await postCommand(url, 'sec', { command: '/x', user_id: 'U1', team_id: 'T1' }, { timestamp: 1000 });
    expect(seen.at(-1)!.headers['x-slack-request-timestamp']).toBe('1000');
    await postEvent(url, 'sec', { type: 'x' }, { signature: 'v0=bad' });
    expect(seen.at(-1)!.headers['x-slack-signature']).toBe('v0=bad');
  });

  it('builds the command body in Slack field order', () => {
    const body = slashCommandBody({ command: '/tispace', user_id: 'U1', team_id: 'T1' });
    expect(body.startsWith('token=')).toBe(true);
    expect(body).toContain('command=%2Ftispace');
  });
});
