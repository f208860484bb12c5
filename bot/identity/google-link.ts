// Google Workspace identity linking: a Slack user proves they own the company Google account whose email
// is on their Slack profile, and TiSpace stores Slack team+user <-> Google sub (with email and time).
//
//   /tispace login (or the gate's button) -> startUrl(actor): a signed state ticket, no DB write
//   GET /auth/google/start?state=T   ticket checked (HMAC, expiry); PKCE verifier + nonce generated and
//                                    stored server-side under T (a second use of T is refused);
//                                    302 to Google's authorize endpoint (S256, nonce, hd hint,
//                                    prompt=select_account)
//   GET /auth/google/callback?code&state=T
//                                    ticket checked, then taken from the store exactly once; the code is
//                                    redeemed with T's verifier; the ID token verified by
//                                    google-auth-library (signature, exp, aud); then iss, nonce,
//                                    email_verified, hd and the Slack profile email are checked here.
//                                    Only when all pass is the link stored and a DM sent.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { CodeChallengeMethod } from 'google-auth-library';
import type { Logger } from 'pino';
import { type Clock, formatUtc, type ProvisionerApi } from '../../provisioner/api.ts';
import type { GoogleSettings } from '../config/env.ts';
import {
  checkGoogleClaims,
  describeVerifyError,
  type GoogleIdentity,
  normalizeDomains,
  type Refusal,
  sameEmail,
} from './claims.ts';
import {
  describeError,
  emailMismatchRefusal,
  googleErrorRefusal,
  idTokenRefusal,
  LINK_REFUSALS,
  refused,
  type StepResult,
  tokenRefusal,
} from './link-refusals.ts';
import { googleOAuthClient, hdHint as hintFor } from './oauth-client.ts';
import { sendPage, sendRedirect } from './pages.ts';
import { mintTicket, stateKey, type TicketProblem, verifyTicket } from './state.ts';

export const START_PATH = '/auth/google/start';
export const CALLBACK_PATH = '/auth/google/callback';

export interface GoogleLinkOptions extends GoogleSettings {
  provisioner: ProvisionerApi;
  /** users.info (profile email; needs users:read.email), conversations.open + chat.postMessage (DM). */
  slack: WebClient;
  clock: Clock;
  log: Logger;
}

export interface GoogleLink {
  /** The URL of a fresh sign-in for this Slack user (valid for SIGN_IN_TTL_MS, usable once). */
  startUrl(actor: { teamId: string; userId: string }): string;
  /** Bolt HTTPReceiver custom routes: GET /auth/google/start and GET /auth/google/callback. */
  routes: CustomRoute[];
  /** The redirect URI to register for the OAuth client in the Google Cloud console. */
  redirectUri: string;
}

const TICKET_REFUSALS: Record<TicketProblem, Refusal> = {
  malformed: LINK_REFUSALS.Malformed,
  forged: LINK_REFUSALS.Forged,
  expired: LINK_REFUSALS.Expired,
};

/** Only short OAuth error codes are echoed back; anything else in the query is not reflected. */
const oauthErrorCode = (value: unknown): string =>
  typeof value === 'string' && /^[a-z_]{1,40}$/.test(value) ? value : 'error';

const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

type Actor = { teamId: string; userId: string };
type SignIn = { teamId: string; userId: string; codeVerifier: string; nonce: string };

export function createGoogleLink(options: GoogleLinkOptions): GoogleLink {
  const { provisioner, slack, clock, log } = options;
  if (!options.clientId) throw new Error('GOOGLE_CLIENT_ID is empty');
  if (!options.clientSecret) throw new Error('GOOGLE_CLIENT_SECRET is empty');
  const key = stateKey(options.secret);
  if (options.secret.length < 32)
    log.warn('TISPACE_SECRET is shorter than 32 characters; use a long random value');
  const allowedDomains = normalizeDomains(options.allowedDomains);
  const base = new URL(options.publicUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error(`PUBLIC_URL must be an http(s) URL; got ${options.publicUrl}`);
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const redirectUri = `${publicUrl}${CALLBACK_PATH}`;
  const client = googleOAuthClient(options, redirectUri);
  const hdHint = hintFor(allowedDomains);

  const refuse = (
    res: ServerResponse,
    refusal: Refusal,
    context: Record<string, unknown>,
    step: 'start' | 'callback',
  ): void => {
    log.info({ ...context, step, reason: refusal.reason, status: refusal.status }, 'Google link refused');
    const title = refusal.status === 500 ? 'Something went wrong' : 'Your Google account was not linked';
    sendPage(res, refusal.status, title, refusal.message);
  };

  async function start(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const state = query.get('state');
    const now = clock.now();
    const checked = verifyTicket(key, state, now);
    if (!checked.ok) return refuse(res, TICKET_REFUSALS[checked.problem], {}, 'start');
    const actor = { teamId: checked.ticket.teamId, userId: checked.ticket.userId };
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    if (!codeChallenge) throw new Error('google-auth-library returned no code challenge');
    const nonce = randomBytes(32).toString('base64url');
    // Keyed by the ticket itself: a second visit of the same link collides and is refused.
    const saved = provisioner.saveSignInState(actor, {
      state: state!,
      codeVerifier,
      nonce,
      ttlMs: checked.ticket.expiresAt - now.getTime(),
    });
    if (!saved.ok) return refuse(res, LINK_REFUSALS.Used, actor, 'start');
    const authUrl = client.generateAuthUrl({
      scope: ['openid', 'email'],
      state: state!,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      hd: hdHint,
      prompt: 'select_account',
    });
    log.info(actor, 'Google sign-in started');
    sendRedirect(res, authUrl);
  }

  /** The signed ticket checked, then its stored sign-in taken exactly once (whatever happens next). */
  function takeState(query: URLSearchParams): StepResult<{ signIn: SignIn; actor: Actor }> {
    const state = query.get('state');
    const checked = verifyTicket(key, state, clock.now());
    if (!checked.ok) return refused(TICKET_REFUSALS[checked.problem]);
    const ticketActor = { teamId: checked.ticket.teamId, userId: checked.ticket.userId };
    const taken = provisioner.takeSignInState(state!);
    // Unknown: /start was never visited with this state. Expired is rare (the ticket carries the same
    // expiry and was checked above).
    if (!taken.ok)
      return refused(LINK_REFUSALS[taken.refusal === 'Unknown' ? 'Malformed' : taken.refusal], ticketActor);
    const actor = { teamId: taken.value.teamId, userId: taken.value.userId };
    if (actor.teamId !== ticketActor.teamId || actor.userId !== ticketActor.userId)
      return refused(LINK_REFUSALS.Forged, actor);
    return { ok: true, value: { signIn: taken.value, actor } };
  }

  /** Google's answer on the redirect: the sign-in code, or the error Google reported. */
  function googleCode(query: URLSearchParams): StepResult<string> {
    const googleError = query.get('error');
    if (googleError) return refused(googleErrorRefusal(oauthErrorCode(googleError)));
    const code = query.get('code');
    return code ? { ok: true, value: code } : refused(LINK_REFUSALS.NoCode);
  }

  /** The code redeemed (with the sign-in's PKCE verifier) for an ID token. */
  async function redeemCode(code: string, signIn: SignIn): Promise<StepResult<string>> {
    try {
      const { tokens } = await client.getToken({
        code,
        codeVerifier: signIn.codeVerifier,
        redirect_uri: redirectUri,
      });
      return tokens.id_token ? { ok: true, value: tokens.id_token } : refused(LINK_REFUSALS.NoIdToken);
    } catch (error) {
      const data = (error as { response?: { status?: number; data?: { error?: unknown } } }).response;
      // Google unreachable: an internal error, not the user's fault. Rethrown without the request
      // (gaxios errors carry it, with the code and the client secret).
      if (!data) throw new Error(`Google token endpoint: ${describeError(error).message}`);
      return refused(tokenRefusal(oauthErrorCode(data.data?.error)), { httpStatus: data.status });
    }
  }

  /** The ID token verified (signature, exp, aud by the library), then its claims checked here. */
  async function verifyToken(idToken: string, signIn: SignIn): Promise<StepResult<GoogleIdentity>> {
    let payload: Parameters<typeof checkGoogleClaims>[0];
    try {
      payload = (await client.verifyIdToken({ idToken, audience: options.clientId })).getPayload();
    } catch (error) {
      const { reason, why } = describeVerifyError(error);
      return refused(idTokenRefusal(reason, why));
    }
    const claims = checkGoogleClaims(payload, { nonce: signIn.nonce, allowedDomains });
    return claims.ok ? { ok: true, value: claims.identity } : refused(claims.refusal);
  }

  /** The Google account must be the one on the Slack profile of the user the state is bound to. */
  async function checkSlackProfile(userId: string, google: GoogleIdentity): Promise<StepResult<void>> {
    let info: Awaited<ReturnType<WebClient['users']['info']>>;
    try {
      info = await slack.users.info({ user: userId });
    } catch (error) {
      const slackError = (error as { data?: { error?: unknown } }).data?.error;
      if (slackError === 'user_not_found' || slackError === 'user_not_visible')
        return refused(LINK_REFUSALS.SlackUserNotFound);
      log.error({ userId, error: describeError(error) }, 'users.info failed during Google linking');
      return refused(LINK_REFUSALS.Internal);
    }
    if (info.user?.deleted || info.user?.is_bot) return refused(LINK_REFUSALS.SlackUserInactive);
    const email = info.user?.profile?.email;
    if (!email) return refused(LINK_REFUSALS.SlackEmailUnknown);
    if (!sameEmail(google.email, email)) return refused(emailMismatchRefusal(google.email));
    return { ok: true, value: undefined };
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const taken = takeState(query);
    if (!taken.ok) return refuse(res, taken.refusal, taken.context ?? {}, 'callback');
    const { signIn, actor } = taken.value;
    const no = (r: { refusal: Refusal; context?: Record<string, unknown> }) =>
      refuse(res, r.refusal, { ...actor, ...r.context }, 'callback');

    const code = googleCode(query);
    if (!code.ok) return no(code);
    const idToken = await redeemCode(code.value, signIn);
    if (!idToken.ok) return no(idToken);
    const google = await verifyToken(idToken.value, signIn);
    if (!google.ok) return no(google);
    const profile = await checkSlackProfile(signIn.userId, google.value);
    if (!profile.ok) return no(profile);
    if (provisioner.whoami(actor).user?.deactivatedAt) return no({ refusal: LINK_REFUSALS.Deactivated });
    // Signed in on the web first: that user's machines come along, unless they cannot (identity-merge.ts).
    const blocked = provisioner.linkRefusal(actor, google.value.sub);
    if (blocked)
      return no({
        refusal: { status: 403, reason: `merge-${blocked.code.toLowerCase()}`, message: blocked.message },
      });

    const { email, hd, sub } = google.value;
    const user = provisioner.linkIdentity(actor, { googleSub: sub, email });
    const until = user.linkExpiresAt ? formatUtc(user.linkExpiresAt) : '';
    log.info({ ...actor, email, hd, until }, 'Google account linked');
    await confirmByDm(signIn.userId, email, until);
    sendPage(
      res,
      200,
      'Google account linked',
      `Linked as ${email} — you can return to Slack.${until ? ` The link is valid until ${until}; run /tispace login again to renew it.` : ''}`,
    );
  }

  /** Best effort: the link is stored whatever Slack answers. */
  async function confirmByDm(userId: string, email: string, until: string): Promise<void> {
    try {
      const opened = await slack.conversations.open({ users: userId });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      const text = `:white_check_mark: Your Google account *${slackEscape(email)}* is now linked to TiSpace${until ? ` until ${until}` : ''}. Run \`/tispace login\` again to renew it.`;
      await slack.chat.postMessage({ channel, text });
    } catch (error) {
      log.warn({ userId, error: describeError(error) }, 'could not DM the Google link confirmation');
    }
  }

  const serve =
    (step: 'start' | 'callback', fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      fn(req, res).catch((error: unknown) => {
        log.error({ error: describeError(error), step }, 'Google link failed');
        if (!res.headersSent) sendPage(res, 500, 'Something went wrong', LINK_REFUSALS.Internal.message);
        else res.end();
      });
    };

  return {
    startUrl(actor) {
      if (!actor.teamId || !actor.userId) throw new Error('startUrl needs the Slack team and user id');
      return `${publicUrl}${START_PATH}?state=${encodeURIComponent(mintTicket(key, actor, clock.now()))}`;
    },
    routes: [
      { path: START_PATH, method: 'GET', handler: serve('start', start) },
      { path: CALLBACK_PATH, method: 'GET', handler: serve('callback', callback) },
    ],
    redirectUri,
  };
}
