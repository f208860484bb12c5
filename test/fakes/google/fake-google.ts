// A local OpenID Connect issuer standing in for Google: authorize (with PKCE S256, state, nonce), token
// exchange, and the signing certificates in the PEM format of https://www.googleapis.com/oauth2/v1/certs
// (what google-auth-library's OAuth2Client.verifyIdToken fetches under Node). ID tokens are RS256 with a kid.
//
// Plug into google-auth-library:
//   new OAuth2Client({ clientId, clientSecret, redirectUri, endpoints: fake.endpoints })
import { execFile } from 'node:child_process';
import {
  createHash,
  sign as cryptoSign,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { send } from '../http-send.ts';

const execFileAsync = promisify(execFile);

export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface FakeGoogleOptions {
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; if omitted any http(s) redirect_uri is accepted. */
  redirectUris?: string[];
  /** Clock in ms since the epoch used for iat/exp and code expiry. Default Date.now. */
  now?: () => number;
  /** Require state/nonce/PKCE on authorize. All default true (TiSpace always sends them). */
  requireState?: boolean;
  requireNonce?: boolean;
  requirePkce?: boolean;
  /** Cache-Control max-age of the certs response (google-auth-library caches per client). Default 300. */
  certsMaxAgeSeconds?: number;
  /** ID token lifetime, default 3600 s. */
  idTokenTtlSeconds?: number;
  host?: string;
  port?: number;
}

/** The user "logged in" at the fake consent screen, and extra/overriding ID token claims. */
export interface FakeGoogleLogin {
  sub: string;
  email: string;
  email_verified?: boolean;
  /** Hosted domain (Workspace). Omit, or set undefined, for a consumer account. */
  hd?: string;
  name?: string;
  /**
   * Any other key overrides or adds an ID token claim (aud, iss, exp, iat, azp, nonce...).
   * A key set to undefined removes that claim.
   */
  [claim: string]: unknown;
}

export interface FakeGoogleLoginKnobs {
  /** Sign the ID token with a key whose certificate is not published (same kid): signature check fails. */
  signWithForeignKey?: boolean;
  /** Put this kid in the JWT header (e.g. one not in /certs). */
  kid?: string;
  /** JWT header alg (the signature stays RS256). */
  alg?: string;
  /** Make authorize answer with this error (e.g. 'access_denied') instead of a code. */
  authorizeError?: string;
}

export interface AuthorizeRequest {
  query: Record<string, string>;
  /** 'redirect' to the client, or an HTTP error shown to the user (bad client/redirect_uri). */
  outcome: { redirect: string } | { status: number; error: string };
  at: number;
}

export interface TokenRequest {
  params: Record<string, string>;
  status: number;
  response: Record<string, unknown>;
  at: number;
}

export interface SignOptions {
  foreign?: boolean;
  kid?: string;
  alg?: string;
}

export interface FakeGoogle {
  readonly origin: string;
  readonly issuer: string;
  readonly urls: {
    authUrl: string;
    tokenUrl: string;
    certsUrl: string;
    jwksUrl: string;
    discoveryUrl: string;
  };
  /** For `new OAuth2Client({ endpoints })`. */
  readonly endpoints: {
    oauth2AuthBaseUrl: string;
    oauth2TokenUrl: string;
    oauth2FederatedSignonPemCertsUrl: string;
    oauth2FederatedSignonJwkCertsUrl: string;
  };
  /** kid of the current signing key. */
  readonly kid: string;
  readonly authorizeRequests: AuthorizeRequest[];
  readonly tokenRequests: TokenRequest[];
  /** Sets who is logged in for subsequent authorizations (sticky until changed). */
  setNextLogin(login: FakeGoogleLogin, knobs?: FakeGoogleLoginKnobs): void;
  /** Mints an ID token directly (claims are used as given, no defaults). */
  signIdToken(claims: Record<string, unknown>, opts?: SignOptions): string;
  /** Default claims for a login (iss, aud, azp, iat, exp, sub, email...), for use with signIdToken. */
  claimsFor(login: FakeGoogleLogin, nonce?: string): Record<string, unknown>;
  /**
   * Follows an authorize URL like a browser whose user consents: returns the redirect target
   * (the client's redirect_uri with code & state) or throws with the error shown.
   */
  authorize(authUrl: string): Promise<URL>;
  /** Adds a new signing key (old certificates stay published). */
  rotateKey(): Promise<string>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  certPem: string;
  publicKey: KeyObject;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  nonce: string | undefined;
  login: FakeGoogleLogin;
  knobs: FakeGoogleLoginKnobs;
  createdAt: number;
  used: boolean;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

const genRsa = (): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> =>
  new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    );
  });

/** A self-signed X.509 certificate for the key (Google publishes certificates, not bare keys). */
async function selfSignedCert(privateKey: KeyObject, cn: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-google-'));
  try {
    const keyPath = join(dir, 'key.pem');
    await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const { stdout } = await execFileAsync('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      keyPath,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '2',
      '-sha256',
    ]);
    if (!stdout.includes('BEGIN CERTIFICATE')) throw new Error('openssl produced no certificate');
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await genRsa();
  const kid = randomBytes(20).toString('hex');
  const certPem = await selfSignedCert(privateKey, 'fake-federated-signon.system.gserviceaccount.com');
  return { kid, privateKey, publicKey, certPem };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const now = options.now ?? Date.now;
  const requireState = options.requireState ?? true;
  const requireNonce = options.requireNonce ?? true;
  const requirePkce = options.requirePkce ?? true;
  const ttl = options.idTokenTtlSeconds ?? 3600;
  const [first, foreign] = await Promise.all([newSigningKey(), genRsa()]);
  const keys: SigningKey[] = [first];
  let current: SigningKey = first;
  const codes = new Map<string, CodeRecord>();
  const authorizeRequests: AuthorizeRequest[] = [];
  const tokenRequests: TokenRequest[] = [];
  let login: FakeGoogleLogin = { sub: '100000000000000000001', email: 'dev@example.com', hd: 'example.com' };
  let knobs: FakeGoogleLoginKnobs = {};

  const signIdToken = (claims: Record<string, unknown>, opts: SignOptions = {}): string => {
    const header = { alg: opts.alg ?? 'RS256', kid: opts.kid ?? current.kid, typ: 'JWT' };
    const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const key = opts.foreign ? foreign.privateKey : current.privateKey;
    return `${signed}.${b64url(cryptoSign('RSA-SHA256', Buffer.from(signed), key))}`;
  };

  const claimsFor = (l: FakeGoogleLogin, nonce?: string): Record<string, unknown> => {
    const iat = Math.floor(now() / 1000);
    const { sub, email, email_verified, hd, name, ...overrides } = l;
    const claims: Record<string, unknown> = {
      iss: GOOGLE_ISSUER,
      azp: options.clientId,
      aud: options.clientId,
      sub,
      ...(hd !== undefined ? { hd } : {}),
      email,
      email_verified: email_verified ?? true,
      at_hash: b64url(randomBytes(16)),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(name !== undefined ? { name } : {}),
      iat,
      exp: iat + ttl,
    };
    // `hd: undefined` given explicitly also removes the claim (handled above); other overrides:
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete claims[k];
      else claims[k] = v;
    }
    return claims;
  };

  const handleAuthorize = (res: ServerResponse, q: URLSearchParams) => {
    const query = Object.fromEntries(q.entries());
    const rec = (outcome: AuthorizeRequest['outcome']) =>
      authorizeRequests.push({ query, outcome, at: now() });
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    // Errors about the client or redirect_uri are shown to the user, never redirected (RFC 6749 4.1.2.1).
    if (clientId !== options.clientId) {
      rec({ status: 401, error: 'invalid_client' });
      return send(res, 401, 'Error 401: invalid_client\nThe OAuth client was not found.');
    }
    let redirect: URL;
    try {
      redirect = new URL(redirectUri ?? '');
      if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') throw new Error('scheme');
    } catch {
      rec({ status: 400, error: 'invalid_request' });
      return send(res, 400, 'Error 400: invalid_request\nMissing or invalid redirect_uri.');
    }
    if (options.redirectUris && !options.redirectUris.includes(redirectUri ?? '')) {
      rec({ status: 400, error: 'redirect_uri_mismatch' });
      return send(res, 400, 'Error 400: redirect_uri_mismatch');
    }
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) => {
      redirect.searchParams.set('error', error);
      if (description) redirect.searchParams.set('error_description', description);
      if (state !== undefined) redirect.searchParams.set('state', state);
      rec({ redirect: redirect.toString() });
      res.writeHead(302, { location: redirect.toString() });
      res.end();
    };
    if (q.get('response_type') !== 'code')
      return fail('unsupported_response_type', 'response_type must be code');
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.includes('openid') || !scopes.includes('email')) {
      return fail('invalid_scope', 'scope must include openid and email');
    }
    if (requireState && !state) return fail('invalid_request', 'Missing required parameter: state');
    const nonce = q.get('nonce') ?? undefined;
    if (requireNonce && !nonce) return fail('invalid_request', 'Missing required parameter: nonce');
    const codeChallenge = q.get('code_challenge') ?? undefined;
    const codeChallengeMethod = q.get('code_challenge_method') ?? undefined;
    if (requirePkce && !codeChallenge)
      return fail('invalid_request', 'Missing required parameter: code_challenge');
    if (codeChallenge && codeChallengeMethod !== 'S256') {
      return fail('invalid_request', 'code_challenge_method must be S256');
    }
    if (knobs.authorizeError) return fail(knobs.authorizeError, '');
    const code = `4/0${b64url(randomBytes(32))}`;
    codes.set(code, {
      clientId,
      redirectUri: redirectUri ?? '',
      scope: scopes.join(' '),
      codeChallenge,
      codeChallengeMethod,
      nonce,
      login: { ...login },
      knobs: { ...knobs },
      createdAt: now(),
      used: false,
    });
    redirect.searchParams.set('code', code);
    if (state !== undefined) redirect.searchParams.set('state', state);
    redirect.searchParams.set('scope', scopes.join(' '));
    redirect.searchParams.set('authuser', '0');
    if (login.hd !== undefined) redirect.searchParams.set('hd', String(login.hd));
    redirect.searchParams.set('prompt', 'none');
    rec({ redirect: redirect.toString() });
    res.writeHead(302, { location: redirect.toString() });
    res.end();
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    let params: Record<string, string> = {};
    if (ct === 'application/json') {
      try {
        params = JSON.parse(raw) as Record<string, string>;
      } catch {
        params = {};
      }
    } else {
      params = Object.fromEntries(new URLSearchParams(raw).entries());
    }
    const basic = req.headers.authorization?.match(/^Basic (.+)$/)?.[1];
    if (basic) {
      const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      params.client_id ??= decodeURIComponent(id ?? '');
      params.client_secret ??= decodeURIComponent(secret ?? '');
    }
    const reply = (status: number, response: Record<string, unknown>) => {
      const recorded = { ...params };
      if (recorded.client_secret) recorded.client_secret = '[redacted]';
      tokenRequests.push({ params: recorded, status, response, at: now() });
      send(res, status, response, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
    };
    if (
      params.client_id !== options.clientId ||
      !safeEqual(params.client_secret ?? '', options.clientSecret)
    ) {
      return reply(401, { error: 'invalid_client', error_description: 'Unauthorized' });
    }
    if (params.grant_type !== 'authorization_code') {
      return reply(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' });
    }
    const code = params.code ? codes.get(params.code) : undefined;
    if (!code) return reply(400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
    if (code.used) return reply(400, { error: 'invalid_grant', error_description: 'Bad Request' });
    code.used = true;
    if (now() - code.createdAt > 10 * 60_000) {
      return reply(400, { error: 'invalid_grant', error_description: 'Bad Request' });
    }
    if (code.clientId !== params.client_id) {
      return reply(400, { error: 'invalid_grant', error_description: 'Bad Request' });
    }
    if (params.redirect_uri !== code.redirectUri) {
      return reply(400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
    }
    if (code.codeChallenge) {
      if (!params.code_verifier) {
        return reply(400, { error: 'invalid_grant', error_description: 'Missing code verifier.' });
      }
      const computed = b64url(createHash('sha256').update(params.code_verifier).digest());
      if (!safeEqual(computed, code.codeChallenge)) {
        return reply(400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      }
    } else if (params.code_verifier) {
      return reply(400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    }
    const idToken = signIdToken(claimsFor(code.login, code.nonce), {
      foreign: code.knobs.signWithForeignKey,
      kid: code.knobs.kid,
      alg: code.knobs.alg,
    });
    return reply(200, {
      access_token: `ya29.fake-${b64url(randomBytes(24))}`,
      expires_in: 3599,
      scope: code.scope,
      token_type: 'Bearer',
      id_token: idToken,
    });
  };

  let origin = '';
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const maxAge = options.certsMaxAgeSeconds ?? 300;
    const certHeaders = { 'cache-control': `public, max-age=${maxAge}, must-revalidate, no-transform` };
    if (req.method === 'GET' && u.pathname === '/o/oauth2/v2/auth')
      return handleAuthorize(res, u.searchParams);
    if (req.method === 'POST' && u.pathname === '/token') {
      handleToken(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, { error: 'internal_failure', error_description: String(e) });
      });
      return;
    }
    if (req.method === 'GET' && u.pathname === '/certs') {
      return send(res, 200, Object.fromEntries(keys.map((k) => [k.kid, k.certPem])), certHeaders);
    }
    if (req.method === 'GET' && u.pathname === '/oauth2/v3/certs') {
      const jwks = keys.map((k) => ({
        ...k.publicKey.export({ format: 'jwk' }),
        kid: k.kid,
        alg: 'RS256',
        use: 'sig',
      }));
      return send(res, 200, { keys: jwks }, certHeaders);
    }
    if (req.method === 'GET' && u.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: GOOGLE_ISSUER,
        authorization_endpoint: `${origin}/o/oauth2/v2/auth`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/oauth2/v3/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile'],
        code_challenge_methods_supported: ['plain', 'S256'],
      });
    }
    send(res, 404, 'Not Found');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  origin = `http://${options.host ?? '127.0.0.1'}:${addr.port}`;
  const urls = {
    authUrl: `${origin}/o/oauth2/v2/auth`,
    tokenUrl: `${origin}/token`,
    certsUrl: `${origin}/certs`,
    jwksUrl: `${origin}/oauth2/v3/certs`,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
  };

  return {
    origin,
    issuer: GOOGLE_ISSUER,
    urls,
    endpoints: {
      oauth2AuthBaseUrl: urls.authUrl,
      oauth2TokenUrl: urls.tokenUrl,
      oauth2FederatedSignonPemCertsUrl: urls.certsUrl,
      oauth2FederatedSignonJwkCertsUrl: urls.jwksUrl,
    },
    get kid() {
      return current.kid;
    },
    authorizeRequests,
    tokenRequests,
    setNextLogin(l, k = {}) {
      login = { ...l };
      knobs = { ...k };
    },
    signIdToken,
    claimsFor,
    async authorize(authUrl) {
      const res = await fetch(authUrl, { redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location) {
        throw new Error(`fake Google authorize failed: ${res.status} ${await res.text()}`);
      }
      return new URL(location);
    },
    async rotateKey() {
      current = await newSigningKey();
      keys.push(current);
      return current.kid;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
