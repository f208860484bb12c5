// "Sign in with Google" for the web: the same checks as the Slack account link (bot/identity): PKCE
// S256, a nonce, a single-use server-side state, google-auth-library's signature/audience/expiry checks,
// then checkGoogleClaims (exact issuer, nonce, email_verified === true, hd equal to an allowed domain).
// The state is also bound to the browser that started the sign-in by a short-lived cookie, so nobody can
// sign a victim's browser into the attacker's account with a forwarded callback URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CodeChallengeMethod } from 'google-auth-library';
import type { Logger } from 'pino';
import type { GoogleSettings } from '../../bot/config/env.ts';
import { checkGoogleClaims, describeVerifyError, normalizeDomains } from '../../bot/identity/claims.ts';
import { googleOAuthClient, hdHint } from '../../bot/identity/oauth-client.ts';
import { type Provisioner, SIGN_IN_TTL_MS } from '../../provisioner/api.ts';
import { cookies } from '../http/request.ts';
import { redirect } from '../http/respond.ts';

export const WEB_START_PATH = '/auth/web/google/start';
export const WEB_CALLBACK_PATH = '/auth/web/google/callback';
const STATE_COOKIE = 'tispace_signin';

export interface GoogleSignInOptions extends GoogleSettings {
  provisioner: Pick<Provisioner, 'api' | 'web'>;
  log: Logger;
  /** Opens the session and answers (sets the cookie, redirects home). */
  signedIn(req: IncomingMessage, res: ServerResponse, userId: string): void;
  /** Shows a refusal to the user. */
  refuse(res: ServerResponse, status: number, message: string): void;
  secureCookies: boolean;
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function googleSignIn(o: GoogleSignInOptions) {
  const allowedDomains = normalizeDomains(o.allowedDomains);
  const redirectUri = `${o.publicUrl.replace(/\/+$/, '')}${WEB_CALLBACK_PATH}`;
  const client = googleOAuthClient(o, redirectUri);
  const hd = hdHint(allowedDomains);
  const cookieAttrs = `Path=/auth/web/google; HttpOnly; SameSite=Lax${o.secureCookies ? '; Secure' : ''}`;

  async function start(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    if (!codeChallenge) throw new Error('google-auth-library returned no code challenge');
    const state = `w.${randomBytes(32).toString('base64url')}`;
    const nonce = randomBytes(32).toString('base64url');
    o.provisioner.api.saveSignInState(
      { userId: '', teamId: 'web' },
      { state, codeVerifier, nonce, ttlMs: SIGN_IN_TTL_MS },
    );
    const url = client.generateAuthUrl({
      scope: ['openid', 'email'],
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      hd,
      prompt: 'select_account',
    });
    redirect(res, url, {
      'set-cookie': `${STATE_COOKIE}=${state}; Max-Age=${SIGN_IN_TTL_MS / 1000}; ${cookieAttrs}`,
    });
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const state = q.get('state') ?? '';
    const again = 'Start again from the sign-in page.';
    const fail = (status: number, reason: string, message: string) => {
      o.log.info({ reason }, 'web sign-in refused');
      res.setHeader('set-cookie', `${STATE_COOKIE}=; Max-Age=0; ${cookieAttrs}`);
      o.refuse(res, status, message);
    };
    const bound = cookies(req).get(STATE_COOKIE);
    if (!state.startsWith('w.') || !bound || !same(bound, state))
      return fail(400, 'state-browser', `This sign-in was not started in this browser. ${again}`);
    const taken = o.provisioner.api.takeSignInState(state);
    if (!taken.ok) return fail(400, 'state-used', `This sign-in has expired or was already used. ${again}`);
    const error = q.get('error');
    if (error)
      return fail(
        403,
        'google-error',
        `Google did not sign you in (${/^[a-z_]{1,40}$/.test(error) ? error : 'error'}). ${again}`,
      );
    const code = q.get('code');
    if (!code) return fail(400, 'no-code', `Google's answer carried no authorization code. ${again}`);
    let idToken: string | null | undefined;
    try {
      ({
        tokens: { id_token: idToken },
      } = await client.getToken({ code, codeVerifier: taken.value.codeVerifier }));
    } catch (err) {
      o.log.warn({ err: { message: (err as Error).message?.slice(0, 200) } }, 'Google code exchange failed');
      return fail(403, 'exchange', `Google refused to complete the sign-in. ${again}`);
    }
    if (!idToken) return fail(403, 'no-id-token', `Google returned no identity. ${again}`);
    let payload: Parameters<typeof checkGoogleClaims>[0];
    try {
      payload = (await client.verifyIdToken({ idToken, audience: o.clientId })).getPayload();
    } catch (err) {
      const why = describeVerifyError(err);
      return fail(403, why.reason, `Google's answer could not be verified: ${why.why}. ${again}`);
    }
    const checked = checkGoogleClaims(payload, { nonce: taken.value.nonce, allowedDomains });
    if (!checked.ok)
      return fail(
        checked.refusal.status,
        checked.refusal.reason,
        checked.refusal.message
          .replace(/ ?Run \/tispace login[^.]*\./, ` ${again}`)
          .replace(/Nothing was linked\./, 'You were not signed in.'),
      );
    const user = o.provisioner.web.signIn({ sub: checked.identity.sub, email: checked.identity.email });
    if (!user.ok) return fail(403, 'deactivated', user.error.message);
    o.log.info({ userId: user.value.userId, email: checked.identity.email }, 'web sign-in');
    res.setHeader('set-cookie', `${STATE_COOKIE}=; Max-Age=0; ${cookieAttrs}`);
    o.signedIn(req, res, user.value.userId);
  }

  return { start, callback, redirectUri };
}
