// Google identity linking end to end over real HTTP: the routes served by a real Bolt App (HTTPReceiver
// customRoutes), the local OpenID issuer standing in for Google (real google-auth-library verification of
// RS256 tokens), the fake Slack Web API for users.info and the confirmation DM, and a real Provisioner
// (SQLite store, no cluster: only its identity API is used). Every refusal is checked to store nothing.
import http from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createGoogleLink,
  type GoogleLink,
  type GoogleLinkOptions,
} from '../../../../bot/identity/google-link.ts';
import type { ManualClock, Provisioner } from '../../../../provisioner/api.ts';
import { newInstanceRow } from '../../../../provisioner/store/instances-repo.ts';
import {
  type FakeGoogle,
  type FakeGoogleLogin,
  type FakeGoogleLoginKnobs,
  startFakeGoogle,
} from '../../../fakes/google/fake-google.ts';
import { type FakeSlack, startFakeSlack } from '../../../fakes/slack/fake-slack.ts';
import { D as DAY, MIN as MINUTE } from '../../../support/durations.ts';
import { silentLog } from '../../../support/log.ts';
import { apiOnlyProvisioner } from '../../../support/offline-provisioner.ts';
import { freePort } from '../../../support/ports.ts';

const CLIENT_ID = 'tispace-test.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-fake-secret';
const SECRET = 'a-long-random-tispace-secret-for-tests-0123456789';
const TOKEN = 'xoxb-identity';
const TEAM = 'TCORP';

const ADA_SLACK = { teamId: TEAM, userId: 'UADA' };
const BOB_SLACK = { teamId: TEAM, userId: 'UBOB' };
const NOMAIL_SLACK = { teamId: TEAM, userId: 'UNOMAIL' };
const ADA: FakeGoogleLogin = { sub: '1001', email: 'ada@corp.com', email_verified: true, hd: 'corp.com' };
const BOB: FakeGoogleLogin = { sub: '1002', email: 'bob@corp.com', email_verified: true, hd: 'corp.com' };

let google: FakeGoogle;
let slack: FakeSlack;
let app: App;
let link: GoogleLink;
let provisioner: Provisioner;
let clock: ManualClock;
let closeProvisioner: () => void;
let origin = '';

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  google = await startFakeGoogle({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${origin}/auth/google/callback`],
  });
  slack = await startFakeSlack({
    token: TOKEN,
    teamId: TEAM,
    users: [
      { id: 'UADA', team_id: TEAM, profile: { email: 'Ada@Corp.com' } },
      { id: 'UBOB', team_id: TEAM, profile: { email: 'bob@corp.com' } },
      { id: 'UNOMAIL', team_id: TEAM, profile: {} },
    ],
  });
  ({ provisioner, clock, close: closeProvisioner } = apiOnlyProvisioner({ admins: ['ada@corp.com'] }));
  // Bolt's client is what the bot hands over in production; create the link with a WebClient of the
  // same configuration before the App exists, since custom routes are fixed at construction.
  link = createGoogleLink({
    provisioner: provisioner.api,
    slack: new WebClient(TOKEN, {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    }),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    allowedDomains: ['corp.com'],
    publicUrl: `${origin}/`,
    secret: SECRET,
    endpoints: {
      authUrl: google.urls.authUrl,
      tokenUrl: google.urls.tokenUrl,
      certsUrl: google.urls.certsUrl,
    },
    clock,
    log: silentLog,
  });
  app = new App({
    token: TOKEN,
    signingSecret: 'signing-secret',
    clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
    customRoutes: link.routes,
  });
  await app.start(port);
}, 30_000);

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await google?.close();
  closeProvisioner?.();
});

/** The link's options against the fakes, with the app's Slack client; the redirect URI is registered at the fake. */
const linkOptions = (over: Partial<GoogleLinkOptions> = {}): GoogleLinkOptions => ({
  provisioner: provisioner.api,
  slack: app.client,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  allowedDomains: ['corp.com'],
  publicUrl: origin,
  secret: SECRET,
  clock,
  log: silentLog,
  ...over,
});

beforeEach(() => {
  provisioner.store.db.exec('DELETE FROM users; DELETE FROM oauth_states;');
  clock.set(Date.now());
  slack.reset();
  google.setNextLogin(ADA);
});

interface Step {
  startUrl: string;
  state: string;
}

const newSignIn = (actor = ADA_SLACK): Step => {
  const startUrl = link.startUrl(actor);
  return { startUrl, state: new URL(startUrl).searchParams.get('state')! };
};

async function get(url: string | URL): Promise<{ status: number; location: string | null; body: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/** GET /start, then the user consents at the fake Google: returns the callback URL (not yet visited). */
async function startAndConsent(step: Step, login: FakeGoogleLogin = ADA, knobs: FakeGoogleLoginKnobs = {}) {
  google.setNextLogin(login, knobs);
  const started = await get(step.startUrl);
  expect(started.status, started.body).toBe(302);
  expect(started.location!.startsWith(google.urls.authUrl)).toBe(true);
  return google.authorize(started.location!);
}

async function signIn(login: FakeGoogleLogin, knobs: FakeGoogleLoginKnobs = {}, actor = ADA_SLACK) {
  const step = newSignIn(actor);
  const callback = await startAndConsent(step, login, knobs);
  return { ...(await get(callback)), callback, step };
}

const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

function expectNothingStored(): void {
  for (const actor of [ADA_SLACK, BOB_SLACK, NOMAIL_SLACK]) {
    const who = provisioner.api.whoami(actor);
    expect(who.linked).toBe(false);
    expect(who.user?.googleSub ?? null).toBeNull();
  }
  expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
}

describe('happy path', () => {
  it('startUrl -> start -> Google -> callback links the Slack user, DMs and shows a page', async () => {
    const step = newSignIn();
    expect(step.startUrl.startsWith(`${origin}/auth/google/start?state=`)).toBe(true);
    const callback = await startAndConsent(step);

    // What TiSpace asked Google for.
    const asked = google.authorizeRequests.at(-1)!.query;
    expect(asked).toMatchObject({
      client_id: CLIENT_ID,
      redirect_uri: `${origin}/auth/google/callback`,
      response_type: 'code',
      scope: 'openid email',
      state: step.state,
      code_challenge_method: 'S256',
      hd: 'corp.com',
      prompt: 'select_account',
    });
    expect(asked.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${origin}/auth/google/callback`);

    const page = await get(callback);
    expect(page.status).toBe(200);
    expect(textOf(page.body)).toContain('Linked as ada@corp.com — you can return to Slack.');

    const who = provisioner.api.whoami(ADA_SLACK);
    expect(who).toMatchObject({ linked: true, linkExpired: false, isAdmin: true });
    expect(who.user).toMatchObject({ teamId: TEAM, googleSub: '1001', email: 'ada@corp.com' });
    expect(Date.parse(who.user!.linkExpiresAt!) - Date.parse(who.user!.linkedAt!)).toBe(30 * DAY);
    expect(provisioner.api.whoami(BOB_SLACK).linked).toBe(false);

    // The code was redeemed with the PKCE verifier.
    const token = google.tokenRequests.at(-1)!;
    expect(token.status).toBe(200);
    expect(token.params.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);

    // Confirmation DM, in the DM channel opened with the user.
    const dm = await slack.waitFor('chat.postMessage');
    expect(dm.args.channel).toBe('DUADA');
    expect(String(dm.args.text)).toContain('ada@corp.com');
    expect(slack.callsTo('users.info')[0]!.args.user).toBe('UADA');
  });

  it('accepts the issuer spelled without scheme (accounts.google.com), as Google documents', async () => {
    const r = await signIn({ ...ADA, iss: 'accounts.google.com' });
    expect(r.status, r.body).toBe(200);
    expect(provisioner.api.whoami(ADA_SLACK).linked).toBe(true);
  });

  it('pages are HTML-escaped and carry protective headers', async () => {
    const step = newSignIn();
    const callback = await startAndConsent(step, { ...ADA, email: '<script>alert(1)</script>@corp.com' });
    const res = await fetch(callback, { redirect: 'manual' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).not.toContain('<script>alert');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@corp.com');
    expectNothingStored();
  });
});

describe('refused, with nothing stored', () => {
  const refusals: Array<[string, FakeGoogleLogin, FakeGoogleLoginKnobs, number, RegExp]> = [
    [
      'wrong audience',
      { ...ADA, aud: 'another-client.apps.googleusercontent.com' },
      {},
      403,
      /issued for another application/,
    ],
    [
      'an expired ID token',
      {
        ...ADA,
        iat: Math.floor(Date.now() / 1000) - 3 * 3600,
        exp: Math.floor(Date.now() / 1000) - 2 * 3600,
      },
      {},
      403,
      /could not be verified: it has expired/,
    ],
    ['a wrong issuer', { ...ADA, iss: 'https://evil.example.com' }, {}, 403, /not issued by Google/],
    ['the universe-domain issuer', { ...ADA, iss: 'googleapis.com' }, {}, 403, /not issued by Google/],
    [
      'an issuer with a trailing slash',
      { ...ADA, iss: 'https://accounts.google.com/' },
      {},
      403,
      /not issued by Google/,
    ],
    ['a token signed by another key', ADA, { signWithForeignKey: true }, 403, /signature is not from Google/],
    ['email_verified false', { ...ADA, email_verified: false }, {}, 403, /is not verified by Google/],
    [
      'email_verified "true" (a string)',
      { ...ADA, email_verified: 'true' as unknown as boolean },
      {},
      403,
      /is not verified by Google/,
    ],
    ['no hd (a personal account)', { ...ADA, hd: undefined }, {}, 403, /personal Google account/],
    ['hd of another domain', { ...ADA, hd: 'other.com' }, {}, 403, /domain other\.com, which is not allowed/],
    ['look-alike hd corp.com.evil.io', { ...ADA, hd: 'corp.com.evil.io' }, {}, 403, /not allowed/],
    ['look-alike hd evilcorp.com', { ...ADA, hd: 'evilcorp.com' }, {}, 403, /not allowed/],
    ['sub-domain hd eng.corp.com', { ...ADA, hd: 'eng.corp.com' }, {}, 403, /not allowed/],
    ['a nonce mismatch', { ...ADA, nonce: 'not-the-nonce-we-sent' }, {}, 403, /nonce mismatch/],
    ['a missing nonce', { ...ADA, nonce: undefined }, {}, 403, /nonce mismatch/],
    [
      'a Google email other than the Slack email',
      { ...ADA, email: 'ada.lovelace@corp.com' },
      {},
      403,
      /signed in to Google as ada\.lovelace@corp\.com, which is not the email address of your Slack profile/,
    ],
    [
      'a Google error (access_denied)',
      ADA,
      { authorizeError: 'access_denied' },
      400,
      /sign-in was cancelled/,
    ],
  ];

  it.each(refusals)('%s', async (_name, login, knobs, status, message) => {
    const r = await signIn(login, knobs);
    expect(r.status, r.body).toBe(status);
    expect(textOf(r.body)).toMatch(message);
    expect(r.body).toContain('Your Google account was not linked');
    expectNothingStored();
  });

  it('a state used once is refused the second time (at start and at callback)', async () => {
    const first = await signIn(ADA);
    expect(first.status).toBe(200);
    provisioner.api.unlinkIdentity(ADA_SLACK);
    slack.reset();
    const again = await get(first.callback);
    expect(again.status).toBe(400);
    expect(textOf(again.body)).toContain('This sign-in link was already used.');
    const restart = await get(first.step.startUrl);
    expect(restart.status).toBe(400);
    expect(textOf(restart.body)).toContain('already used');
    expectNothingStored();
  });

  it('visiting the start link twice before finishing: the second visit is refused', async () => {
    const step = newSignIn();
    expect((await get(step.startUrl)).status).toBe(302);
    const second = await get(step.startUrl);
    expect(second.status).toBe(400);
    expect(textOf(second.body)).toContain('already used');
  });

  it('a state expires after 10 minutes (at start)', async () => {
    const step = newSignIn();
    clock.advance(11 * MINUTE);
    const r = await get(step.startUrl);
    expect(r.status).toBe(400);
    expect(textOf(r.body)).toContain('This sign-in link has expired (links last 10 minutes).');
    expect(provisioner.store.db.prepare('SELECT count(*) AS n FROM oauth_states').get()).toEqual({ n: 0 });
  });

  it('a state expires after 10 minutes (between start and callback)', async () => {
    const step = newSignIn();
    clock.advance(2 * MINUTE);
    const callback = await startAndConsent(step);
    clock.advance(9 * MINUTE);
    const r = await get(callback);
    expect(r.status).toBe(400);
    expect(textOf(r.body)).toContain('has expired');
    expectNothingStored();
  });

  it('a forged or altered state is refused before the database is touched', async () => {
    const { state } = newSignIn(ADA_SLACK);
    const [payload, mac] = state.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const altered = `${Buffer.from(JSON.stringify({ ...claims, u: 'UBOB' })).toString('base64url')}.${mac}`;
    const otherSecret = createGoogleLink(
      linkOptions({ secret: 'another-secret-another-secret-another-secret' }),
    ).startUrl(BOB_SLACK);
    for (const url of [
      `${origin}/auth/google/start?state=${encodeURIComponent(altered)}`,
      otherSecret,
      `${origin}/auth/google/start?state=garbage`,
      `${origin}/auth/google/start`,
      `${origin}/auth/google/callback?state=${encodeURIComponent(altered)}&code=x`,
    ]) {
      const r = await get(url);
      expect(r.status, url).toBe(400);
      expect(textOf(r.body)).toContain('This sign-in link is not valid.');
    }
    expect(provisioner.store.db.prepare('SELECT count(*) AS n FROM oauth_states').get()).toEqual({ n: 0 });
    expectNothingStored();
  });

  it('a state is bound to its Slack user: it links only that user, and only to their own Google account', async () => {
    // Ada's state completed with Bob's Google account: the Slack email check refuses it.
    const crossed = await signIn(BOB, {}, ADA_SLACK);
    expect(crossed.status).toBe(403);
    expect(textOf(crossed.body)).toContain('signed in to Google as bob@corp.com');
    expectNothingStored();
    // Ada's state with Ada's Google account links Ada, and nobody else.
    expect((await signIn(ADA, {}, ADA_SLACK)).status).toBe(200);
    expect(provisioner.api.whoami(ADA_SLACK).user?.googleSub).toBe('1001');
    expect(provisioner.api.whoami(BOB_SLACK).linked).toBe(false);
    expect(provisioner.api.whoami(BOB_SLACK).user).toBeUndefined();
  });

  it('a code injected into another user’s sign-in fails PKCE (and nothing is linked)', async () => {
    // The victim (Ada) consents; an attacker (Bob) intercepts her code and replays it with his own state.
    const victim = await startAndConsent(newSignIn(ADA_SLACK), ADA);
    const stolenCode = victim.searchParams.get('code')!;
    const attacker = await startAndConsent(newSignIn(BOB_SLACK), BOB);
    const injected = new URL(attacker);
    injected.searchParams.set('code', stolenCode);
    const r = await get(injected);
    expect(r.status).toBe(400);
    expect(textOf(r.body)).toContain('Google refused to complete this sign-in (invalid_grant)');
    expect(google.tokenRequests.at(-1)?.response).toMatchObject({
      error_description: 'Invalid code verifier.',
    });
    expectNothingStored();
  });

  it('a tampered stored PKCE verifier makes the code exchange fail', async () => {
    const step = newSignIn();
    const callback = await startAndConsent(step);
    provisioner.store.db
      .prepare('UPDATE oauth_states SET code_verifier = ? WHERE state = ?')
      .run('x'.repeat(64), step.state);
    const r = await get(callback);
    expect(r.status).toBe(400);
    expect(textOf(r.body)).toContain('(invalid_grant)');
    expectNothingStored();
  });

  it('a Slack user without a readable profile email cannot link', async () => {
    const r = await signIn({ ...ADA, email: 'nomail@corp.com' }, {}, NOMAIL_SLACK);
    expect(r.status).toBe(403);
    expect(textOf(r.body)).toContain('cannot read the email address of your Slack profile');
    expectNothingStored();
  });

  it('an offboarded (deactivated) user cannot link', async () => {
    provisioner.api.offboard('UADA', 'left the company');
    const r = await signIn(ADA);
    expect(r.status).toBe(403);
    expect(textOf(r.body)).toContain('deactivated');
    expectNothingStored();
  });
});

describe('edges', () => {
  it('a valid state whose start was never visited is refused at the callback', async () => {
    const { state } = newSignIn();
    const r = await get(`${origin}/auth/google/callback?state=${encodeURIComponent(state)}&code=4/0x`);
    expect(r.status).toBe(400);
    expect(textOf(r.body)).toContain('This sign-in link is not valid.');
    expect(google.tokenRequests.filter((t) => t.params.code === '4/0x')).toHaveLength(0);
    expectNothingStored();
  });

  it('a state for a Slack user Slack does not know links nothing', async () => {
    const r = await signIn(ADA, {}, { teamId: TEAM, userId: 'UGONE' });
    expect(r.status).toBe(403);
    expect(textOf(r.body)).toContain('Your Slack account could not be found');
    expect(provisioner.api.whoami({ userId: 'UGONE' }).linked).toBe(false);
    expectNothingStored();
  });

  it('a failed confirmation DM does not undo the link', async () => {
    slack.rateLimit('conversations.open', { retryAfterSeconds: 1 });
    const r = await signIn(ADA);
    expect(r.status).toBe(200);
    expect(provisioner.api.whoami(ADA_SLACK).linked).toBe(true);
    expect(slack.callsTo('conversations.open')[0]!.status).toBe(429);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('Google unreachable: a 500 page, nothing stored, and no secret or code in the page or the logs', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const broken = createGoogleLink(
      linkOptions({ endpoints: { authUrl: google.urls.authUrl, tokenUrl: 'http://127.0.0.1:9/token' }, log }),
    );
    const server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      broken.routes.find((r) => r.path === path)!.handler(req as never, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const own = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const startUrl = broken.startUrl(ADA_SLACK).replace(origin, own);
      const callback = await startAndConsent({ startUrl, state: '' });
      const code = callback.searchParams.get('code')!;
      const r = await get(`${own}${callback.pathname}${callback.search}`);
      expect(r.status).toBe(500);
      expect(textOf(r.body)).toContain('Something went wrong on TiSpace’s side; nothing was linked.');
      for (const text of [r.body, ...lines]) {
        expect(text).not.toContain(CLIENT_SECRET);
        expect(text).not.toContain(code);
      }
      expect(lines.some((l) => l.includes('Google token endpoint'))).toBe(true);
      expectNothingStored();
    } finally {
      server.close();
    }
  }, 30_000);

  it('other methods on the routes are not served', async () => {
    const res = await fetch(newSignIn().startUrl, { method: 'POST' });
    expect(res.status).toBe(404);
  });

  it('refuses to start without the configuration it needs', () => {
    const good = linkOptions();
    expect(createGoogleLink(good).redirectUri).toBe(`${origin}/auth/google/callback`);
    expect(() => createGoogleLink({ ...good, allowedDomains: [] })).toThrow(/GOOGLE_ALLOWED_DOMAINS/);
    expect(() => createGoogleLink({ ...good, allowedDomains: ['corp.com', 'not a domain'] })).toThrow(
      /not a domain/,
    );
    expect(() => createGoogleLink({ ...good, secret: '' })).toThrow(/TISPACE_SECRET/);
    expect(() => createGoogleLink({ ...good, clientId: '' })).toThrow(/GOOGLE_CLIENT_ID/);
    expect(() => createGoogleLink({ ...good, clientSecret: '' })).toThrow(/GOOGLE_CLIENT_SECRET/);
    expect(() => createGoogleLink({ ...good, publicUrl: 'ftp://x' })).toThrow(/PUBLIC_URL/);
    expect(() => createGoogleLink(good).startUrl({ teamId: '', userId: 'U1' })).toThrow(/team/);
  });
});

describe('freshness', () => {
  it('a link expires after 30 days; signing in again (/tispace login) renews it', async () => {
    expect((await signIn(ADA)).status).toBe(200);
    const first = provisioner.api.whoami(ADA_SLACK).user!;
    clock.advance(29 * DAY);
    expect(provisioner.api.whoami(ADA_SLACK)).toMatchObject({ linked: true, linkExpired: false });
    clock.advance(DAY + MINUTE);
    expect(provisioner.api.whoami(ADA_SLACK)).toMatchObject({
      linked: false,
      linkExpired: true,
      isAdmin: false,
    });
    const refused = await provisioner.api.create(ADA_SLACK, { name: 'dev1', size: 'small' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NotLinked' } });

    expect((await signIn(ADA)).status).toBe(200);
    const renewed = provisioner.api.whoami(ADA_SLACK);
    expect(renewed).toMatchObject({ linked: true, linkExpired: false, isAdmin: true });
    expect(Date.parse(renewed.user!.linkExpiresAt!)).toBe(clock.now().getTime() + 30 * DAY);
    expect(Date.parse(renewed.user!.linkExpiresAt!)).toBeGreaterThan(Date.parse(first.linkExpiresAt!));
  });
});

describe('one person on the web and in Slack (the Google account decides)', () => {
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';
  // After each (the file's beforeEach deletes users, which keys and sessions refer to).
  afterEach(() => {
    provisioner.store.db.exec(
      'DELETE FROM instances; DELETE FROM ssh_keys; DELETE FROM web_sessions; DELETE FROM api_tokens; DELETE FROM quota_overrides;',
    );
  });

  /** A machine as a create leaves it in the store (this provisioner has no cluster to run it). */
  const machineOf = (ownerId: string, email: string, name: string) => {
    const now = clock.now().toISOString();
    provisioner.store.instances.insert(
      newInstanceRow({
        id: `${name}-${ownerId
          .slice(-5)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}`,
        name,
        ownerId,
        ownerEmail: email,
        image: 'ubuntu-22.04',
        cpu: 2,
        memoryGiB: 4,
        diskGiB: 20,
        loginUser: 'ubuntu',
        leaseEndsAt: new Date(clock.now().getTime() + 7 * DAY).toISOString(),
        createdAt: now,
      }),
      now,
    );
  };
  const names = (userId: string) => {
    const l = provisioner.api.list({ userId });
    return l.ok ? l.value.map((i) => i.name) : l.error.code;
  };
  /** Signs in on the web as the web's Google callback does once Google's answer passed the checks. */
  const webSignIn = (login: FakeGoogleLogin) => {
    const user = provisioner.web.signIn({ sub: login.sub, email: login.email });
    if (!user.ok) throw new Error(user.error.message);
    return user.value.userId;
  };

  it('web first: linking Slack later keeps the machines, keys, quota, sessions and tokens, in Slack and on the web', async () => {
    const webUser = webSignIn(ADA);
    expect(webUser).toBe('web-1001');
    machineOf(webUser, 'ada@corp.com', 'web1');
    expect(provisioner.api.addKey({ userId: webUser }, KEY).ok).toBe(true);
    const session = provisioner.web.openSession(webUser);
    const token = provisioner.web.createToken(webUser, { name: 'ci', scopes: ['machines:read'], days: 7 });
    if (!token.ok) throw new Error(token.error.message);
    provisioner.store.quotas.set(
      webUser,
      { ...provisioner.api.config.quota, cpu: 40 },
      'boss',
      clock.now().toISOString(),
    );

    const linked = await signIn(ADA);
    expect(linked.status, linked.body).toBe(200);

    // Slack sees the machine the web created, and the key (the machine's authorized_keys come from it).
    expect(names('UADA')).toEqual(['web1']);
    expect(provisioner.store.instances.findByName('UADA', 'web1')?.ownerEmail).toBe('ada@corp.com');
    const keys = provisioner.api.listKeys(ADA_SLACK);
    expect(keys.ok && keys.value.map((k) => k.comment)).toEqual(['ada@laptop']);
    expect(provisioner.api.usage(ADA_SLACK)).toMatchObject({ ok: true, value: { quota: { cpu: 40 } } });
    // The web: the open session and the script's token go on as the same person; a new sign-in too.
    expect(provisioner.web.session(session.token)).toMatchObject({ ok: true, value: { userId: 'UADA' } });
    expect(provisioner.web.authenticateToken(token.value.token)).toMatchObject({
      ok: true,
      value: { userId: 'UADA' },
    });
    expect(webSignIn(ADA)).toBe('UADA');
    // Nothing is left behind on the web-only user.
    expect(provisioner.store.instances.listByOwner('web-1001', { includeDeleted: true })).toEqual([]);
    expect(provisioner.store.keys.list('web-1001')).toEqual([]);
    const merged = provisioner.store.audit.all().find((e) => e.action === 'identity-merged');
    expect(merged).toMatchObject({ actor: 'UADA', details: { from: 'web-1001', machines: 1 } });
  });

  it('Slack first: signing in on the web with the same Google account shows the Slack machines', async () => {
    expect((await signIn(ADA)).status).toBe(200);
    machineOf('UADA', 'ada@corp.com', 'slack1');
    expect(webSignIn(ADA)).toBe('UADA');
    // A second Google account of the same verified email (recreated account) is the same person too.
    expect(webSignIn({ ...ADA, sub: '7777' })).toBe('UADA');
    expect(names('UADA')).toEqual(['slack1']);
  });

  it('nobody takes another person’s machines this way', async () => {
    // Bob used only the web; Ada links her Slack user.
    const bob = webSignIn(BOB);
    machineOf(bob, 'bob@corp.com', 'bobs');
    const ada = webSignIn(ADA);
    machineOf(ada, 'ada@corp.com', 'adas');
    // Ada's Slack user completed with Bob's Google account: refused (not her Slack email).
    const crossed = await signIn(BOB, {}, ADA_SLACK);
    expect(crossed.status).toBe(403);
    // Ada's own account, but Google did not verify the email, or it is not of an allowed domain.
    expect((await signIn({ ...ADA, email_verified: false })).status).toBe(403);
    expect((await signIn({ ...ADA, hd: 'evil.com' })).status).toBe(403);
    expect((await signIn({ ...ADA, hd: undefined })).status).toBe(403);
    expect(names('UADA')).toEqual('NotLinked');
    expect(names(bob)).toEqual(['bobs']);
    expect(names(ada)).toEqual(['adas']);
    // Bob's Slack user links Bob's account: he gets his machines, and only his.
    expect((await signIn(BOB, {}, BOB_SLACK)).status).toBe(200);
    expect(names('UBOB')).toEqual(['bobs']);
    expect(names(ada)).toEqual(['adas']);
  });

  it('a deactivated web-only user cannot come back by linking Slack, and nothing moves', async () => {
    const webUser = webSignIn(ADA);
    machineOf(webUser, 'ada@corp.com', 'web1');
    provisioner.api.offboard(webUser, 'left the company');
    const r = await signIn(ADA);
    expect(r.status).toBe(403);
    expect(textOf(r.body)).toContain('deactivated');
    expect(provisioner.store.instances.listByOwner('UADA')).toEqual([]);
    expect(provisioner.store.instances.listByOwner(webUser).map((i) => i.name)).toEqual(['web1']);
    expect(provisioner.api.whoami(ADA_SLACK).linked).toBe(false);
  });

  it('two machines of the same name: the link is refused with what to do, and nothing moves', async () => {
    // Ada's Slack user has a machine "dev" from an earlier Google account of the same email.
    expect((await signIn({ ...ADA, sub: '0999' })).status).toBe(200);
    machineOf('UADA', 'ada@corp.com', 'dev');
    // A web-only user of the current account from before the Slack link, with a "dev" of its own.
    provisioner.store.users.link('web-1001', {
      teamId: '',
      googleSub: '1001',
      email: 'ada@corp.com',
      linkedAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + DAY).toISOString(),
    });
    machineOf('web-1001', 'ada@corp.com', 'dev');
    const r = await signIn(ADA);
    expect(r.status).toBe(403);
    expect(textOf(r.body)).toContain(
      'Delete one of your machines named dev (in Slack or on the web), then link again.',
    );
    expect(provisioner.store.instances.listByOwner('web-1001').map((i) => i.name)).toEqual(['dev']);
    expect(provisioner.store.instances.listByOwner('UADA').map((i) => i.name)).toEqual(['dev']);
  });
});
