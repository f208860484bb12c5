import { randomBytes } from 'node:crypto';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogle, type FakeGoogleLogin, startFakeGoogle } from '../../fakes/google/fake-google.ts';

const CLIENT_ID = 'tispace-test.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-fake-secret';
const REDIRECT = 'http://127.0.0.1:1/oauth/google/callback';

let google: FakeGoogle;
const client = () =>
  new OAuth2Client({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT,
    endpoints: google.endpoints,
  });

beforeAll(async () => {
  google = await startFakeGoogle({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT],
  });
}, 30_000);
afterAll(async () => {
  await google.close();
});

const ADA: FakeGoogleLogin = {
  sub: '1001',
  email: 'ada@example.com',
  email_verified: true,
  hd: 'example.com',
};

/** The whole browser round trip with the real library: auth URL -> consent -> redirect -> token exchange. */
async function login(c: OAuth2Client, opts: { tamperVerifier?: boolean } = {}) {
  const { codeVerifier, codeChallenge } = await c.generateCodeVerifierAsync();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const authUrl = c.generateAuthUrl({
    scope: ['openid', 'email'],
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
    hd: 'example.com',
    prompt: 'select_account',
  });
  expect(authUrl.startsWith(google.urls.authUrl)).toBe(true);
  const back = await google.authorize(authUrl);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code')!;
  const { tokens } = await c.getToken({
    code,
    codeVerifier: opts.tamperVerifier ? `${codeVerifier}x` : codeVerifier,
  });
  return { tokens, nonce, code, codeVerifier };
}

describe('fake Google with the real google-auth-library', () => {
  it('serves X.509 PEM certificates keyed by kid', async () => {
    const certs = (await (await fetch(google.urls.certsUrl)).json()) as Record<string, string>;
    expect(Object.keys(certs)).toEqual([google.kid]);
    expect(certs[google.kid]).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it('code flow with PKCE, then verifyIdToken succeeds', async () => {
    google.setNextLogin(ADA);
    const c = client();
    const { tokens, nonce } = await login(c);
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid email' });
    expect(tokens.access_token).toMatch(/^ya29\./);
    const ticket = await c.verifyIdToken({ idToken: tokens.id_token!, audience: CLIENT_ID });
    expect(ticket.getPayload()).toMatchObject({
      iss: 'https://accounts.google.com',
      aud: CLIENT_ID,
      azp: CLIENT_ID,
      sub: '1001',
      email: 'ada@example.com',
      email_verified: true,
      hd: 'example.com',
      nonce,
    });
    expect(ticket.getEnvelope()).toMatchObject({ alg: 'RS256', kid: google.kid });
  });

  it('the code is single-use and the verifier must match the challenge', async () => {
    google.setNextLogin(ADA);
    const c = client();
    const { code, codeVerifier } = await login(c);
    await expect(c.getToken({ code, codeVerifier })).rejects.toMatchObject({
      response: { status: 400, data: { error: 'invalid_grant' } },
    });
    await expect(login(client(), { tamperVerifier: true })).rejects.toMatchObject({
      response: {
        status: 400,
        data: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
      },
    });
    const wrongSecret = new OAuth2Client({
      clientId: CLIENT_ID,
      clientSecret: 'nope',
      redirectUri: REDIRECT,
      endpoints: google.endpoints,
    });
    await expect(login(wrongSecret)).rejects.toMatchObject({ response: { status: 401 } });
  });

  it('rejects a wrong audience, an expired token and a foreign key', async () => {
    const c = client();
    google.setNextLogin(ADA);
    const ok = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: ok, audience: 'someone-else' })).rejects.toThrow(
      /Wrong recipient/,
    );

    google.setNextLogin({ ...ADA, aud: 'another-client' });
    const otherAud = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: otherAud, audience: CLIENT_ID })).rejects.toThrow(
      /Wrong recipient/,
    );

    const past = Math.floor(Date.now() / 1000) - 7200;
    google.setNextLogin({ ...ADA, iat: past - 3600, exp: past });
    const expired = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: expired, audience: CLIENT_ID })).rejects.toThrow(
      /Token used too late/,
    );

    google.setNextLogin(ADA, { signWithForeignKey: true });
    const forged = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: forged, audience: CLIENT_ID })).rejects.toThrow(
      /Invalid token signature/,
    );

    google.setNextLogin(ADA, { kid: 'unknown-kid' });
    const unknownKid = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: unknownKid, audience: CLIENT_ID })).rejects.toThrow(
      /No pem found/,
    );

    google.setNextLogin({ ...ADA, iss: 'https://evil.example.com' });
    const badIss = (await login(c)).tokens.id_token!;
    await expect(c.verifyIdToken({ idToken: badIss, audience: CLIENT_ID })).rejects.toThrow(/Invalid issuer/);
  });

  it('claims the library does not check are still controllable (email_verified, hd)', async () => {
    const c = client();
    google.setNextLogin({ ...ADA, email_verified: false, hd: undefined });
    const { tokens } = await login(c);
    const payload = (await c.verifyIdToken({ idToken: tokens.id_token!, audience: CLIENT_ID })).getPayload()!;
    expect(payload.email_verified).toBe(false);
    expect(payload).not.toHaveProperty('hd');
    google.setNextLogin({ ...ADA, hd: 'other.example' });
    const other = (
      await c.verifyIdToken({ idToken: (await login(c)).tokens.id_token!, audience: CLIENT_ID })
    ).getPayload();
    expect(other?.hd).toBe('other.example');
  });

  it('authorize validates the request', async () => {
    const c = client();
    const base = {
      scope: ['openid', 'email'],
      state: 's',
      nonce: 'n',
      code_challenge: 'x',
      code_challenge_method: CodeChallengeMethod.S256,
    };
    const errorOf = async (url: string) => (await google.authorize(url)).searchParams.get('error');
    expect(await errorOf(c.generateAuthUrl({ ...base, scope: ['openid'] }))).toBe('invalid_scope');
    expect(await errorOf(c.generateAuthUrl({ ...base, state: undefined }))).toBe('invalid_request');
    expect(await errorOf(c.generateAuthUrl({ ...base, nonce: undefined }))).toBe('invalid_request');
    expect(
      await errorOf(
        c.generateAuthUrl({ ...base, code_challenge: undefined, code_challenge_method: undefined }),
      ),
    ).toBe('invalid_request');
    expect(
      await errorOf(c.generateAuthUrl({ ...base, code_challenge_method: CodeChallengeMethod.Plain })),
    ).toBe('invalid_request');
    await expect(
      google.authorize(c.generateAuthUrl({ ...base, redirect_uri: 'http://evil/cb' })),
    ).rejects.toThrow(/400/);
    await expect(google.authorize(c.generateAuthUrl({ ...base, client_id: 'other' }))).rejects.toThrow(/401/);
    google.setNextLogin(ADA, { authorizeError: 'access_denied' });
    const denied = await google.authorize(c.generateAuthUrl(base));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('s');
    google.setNextLogin(ADA);
  });

  it('signIdToken mints tokens directly for unit tests', async () => {
    const token = google.signIdToken(google.claimsFor(ADA, 'n1'));
    const ticket = await client().verifyIdToken({ idToken: token, audience: CLIENT_ID });
    expect(ticket.getPayload()?.nonce).toBe('n1');
  });
});
