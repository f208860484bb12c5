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
import { CodeChallengeMethod, type LoginTicket } from 'google-auth-library';
import type { Logger } from 'pino';
import type { Clock, ProvisionerService } from '../../provisioner/api.ts';
import type { GoogleSettings } from '../config/env.ts';
import {
  checkGoogleClaims,
  describeVerifyError,
  normalizeDomains,
  type Refusal,
  sameEmail,
} from './claims.ts';
import { googleOAuthClient, hdHint as hintFor } from './oauth-client.ts';
import { sendPage, sendRedirect } from './pages.ts';
import { mintTicket, SIGN_IN_TTL_MS, stateKey, type TicketProblem, verifyTicket } from './state.ts';

export const START_PATH = '/auth/google/start';
export const CALLBACK_PATH = '/auth/google/callback';

export interface GoogleLinkOptions extends GoogleSettings {
  provisioner: ProvisionerService;
  /** users.info (profile email; needs users:read.email), conversations.open + chat.postMessage (DM). */
  slack: WebClient;
  clock: Clock;
  log: Logger;
}

export interface GoogleLink {
  /** The URL of a fresh sign-in for this Slack user (valid 10 minutes, usable once). */
  startUrl(actor: { teamId: string; userId: string }): string;
  /** Bolt HTTPReceiver custom routes: GET /auth/google/start and GET /auth/google/callback. */
  routes: CustomRoute[];
  /** The redirect URI to register for the OAuth client in the Google Cloud console. */
  redirectUri: string;
}

const AGAIN = 'Run /tispace login in Slack to get a new sign-in link.';

const TICKET_REFUSALS: Record<TicketProblem, Refusal> = {
  malformed: { status: 400, reason: 'state-invalid', message: `This sign-in link is not valid. ${AGAIN}` },
  forged: { status: 400, reason: 'state-forged', message: `This sign-in link is not valid. ${AGAIN}` },
  expired: {
    status: 400,
    reason: 'state-expired',
    message: `This sign-in link has expired (links last 10 minutes). ${AGAIN}`,
  },
};

const STATE_USED: Refusal = {
  status: 400,
  reason: 'state-used',
  message: `This sign-in link was already used. ${AGAIN}`,
};

const INTERNAL: Refusal = {
  status: 500,
  reason: 'internal',
  message: 'Something went wrong on TiSpace’s side; nothing was linked. Run /tispace login in a minute.',
};

/** Only short OAuth error codes are echoed back; anything else in the query is not reflected. */
const oauthErrorCode = (value: unknown): string =>
  typeof value === 'string' && /^[a-z_]{1,40}$/.test(value) ? value : 'error';

const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Name and message only: error objects of HTTP clients carry requests (codes, secrets, tokens). */
const describeError = (error: unknown): { name: string; message: string } =>
  error instanceof Error
    ? { name: error.name, message: error.message.slice(0, 300) }
    : { name: 'Error', message: String(error).slice(0, 300) };

const isUniqueViolation = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === 'string' &&
  (error as { code: string }).code.startsWith('SQLITE_CONSTRAINT');

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
    try {
      // Keyed by the ticket itself: a second visit of the same link collides and is refused.
      provisioner.saveSignInState(actor, {
        state: state!,
        codeVerifier,
        nonce,
        ttlMs: checked.ticket.expiresAt - now.getTime(),
      });
    } catch (error) {
      if (isUniqueViolation(error)) return refuse(res, STATE_USED, actor, 'start');
      throw error;
    }
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

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const state = query.get('state');
    const checked = verifyTicket(key, state, clock.now());
    if (!checked.ok) return refuse(res, TICKET_REFUSALS[checked.problem], {}, 'callback');
    // Single use: taken (marked used) before anything else, whatever the outcome below.
    const taken = provisioner.takeSignInState(state!);
    if (!taken.ok) {
      // NotFound: /start was never visited with this state. InvalidState: used, or (rarely, as the ticket
      // carries the same expiry and was checked above) expired.
      const refusal: Refusal =
        taken.error.code === 'NotFound'
          ? TICKET_REFUSALS.malformed
          : /expired/.test(taken.error.message)
            ? TICKET_REFUSALS.expired
            : STATE_USED;
      return refuse(
        res,
        refusal,
        { teamId: checked.ticket.teamId, userId: checked.ticket.userId },
        'callback',
      );
    }
    const s = taken.value;
    const actor = { teamId: s.teamId, userId: s.userId };
    if (s.teamId !== checked.ticket.teamId || s.userId !== checked.ticket.userId)
      return refuse(res, TICKET_REFUSALS.forged, actor, 'callback');

    const googleError = query.get('error');
    if (googleError) {
      const code = oauthErrorCode(googleError);
      return refuse(
        res,
        {
          status: 400,
          reason: `google-${code}`,
          message:
            code === 'access_denied'
              ? `The Google sign-in was cancelled. Nothing was linked. ${AGAIN}`
              : `Google did not complete the sign-in (${code}). Nothing was linked. ${AGAIN}`,
        },
        actor,
        'callback',
      );
    }
    const code = query.get('code');
    if (!code)
      return refuse(
        res,
        {
          status: 400,
          reason: 'no-code',
          message: `Google's answer carried no sign-in code. Nothing was linked. ${AGAIN}`,
        },
        actor,
        'callback',
      );

    let idToken: string | null | undefined;
    try {
      const { tokens } = await client.getToken({
        code,
        codeVerifier: s.codeVerifier,
        redirect_uri: redirectUri,
      });
      idToken = tokens.id_token;
    } catch (error) {
      const data = (error as { response?: { status?: number; data?: { error?: unknown } } }).response;
      // Google unreachable: an internal error, not the user's fault. Rethrown without the request
      // (gaxios errors carry it, with the code and the client secret).
      if (!data) throw new Error(`Google token endpoint: ${describeError(error).message}`);
      const oauthError = oauthErrorCode(data.data?.error);
      return refuse(
        res,
        {
          status: 400,
          reason: `token-${oauthError}`,
          message: `Google refused to complete this sign-in (${oauthError}): the sign-in code is invalid, was already used, or does not belong to this sign-in. Nothing was linked. ${AGAIN}`,
        },
        { ...actor, httpStatus: data.status },
        'callback',
      );
    }
    if (!idToken)
      return refuse(
        res,
        {
          status: 400,
          reason: 'no-id-token',
          message: `Google's answer carried no ID token. Nothing was linked. ${AGAIN}`,
        },
        actor,
        'callback',
      );

    let login: LoginTicket;
    try {
      login = await client.verifyIdToken({ idToken, audience: options.clientId });
    } catch (error) {
      const { reason, why } = describeVerifyError(error);
      return refuse(
        res,
        {
          status: 403,
          reason: `id-token-${reason}`,
          message: `Google's sign-in answer could not be verified: ${why}. Nothing was linked. ${AGAIN}`,
        },
        actor,
        'callback',
      );
    }
    const claims = checkGoogleClaims(login.getPayload(), { nonce: s.nonce, allowedDomains });
    if (!claims.ok) return refuse(res, claims.refusal, actor, 'callback');
    const google = claims.identity;

    // The Google account must be the one on the Slack profile of the user the state is bound to.
    const slackEmail = await slackProfileEmail(s.userId);
    if (!slackEmail.ok) return refuse(res, slackEmail.refusal, actor, 'callback');
    if (!sameEmail(google.email, slackEmail.email))
      return refuse(
        res,
        {
          status: 403,
          reason: 'email-mismatch',
          message: `You signed in to Google as ${google.email}, which is not the email address of your Slack profile. Sign in with the Google account that has the same email address as your Slack profile. ${AGAIN}`,
        },
        actor,
        'callback',
      );
    if (provisioner.whoami(actor).user?.deactivatedAt)
      return refuse(
        res,
        {
          status: 403,
          reason: 'deactivated',
          message: 'Your TiSpace account is deactivated (offboarded), so it cannot be linked. Ask an admin.',
        },
        actor,
        'callback',
      );

    // Signed in on the web first: that user's machines come along, unless they cannot (identity-merge.ts).
    const blocked = provisioner.linkRefusal(actor, google.sub);
    if (blocked)
      return refuse(
        res,
        {
          status: 403,
          reason: `merge-${blocked.code.toLowerCase()}`,
          message: blocked.message,
        },
        actor,
        'callback',
      );

    const user = provisioner.linkIdentity(actor, { googleSub: google.sub, email: google.email });
    const until = (user.linkExpiresAt ?? '').slice(0, 16).replace('T', ' ');
    log.info({ ...actor, email: google.email, hd: google.hd, until }, 'Google account linked');
    await confirmByDm(s.userId, google.email, until);
    sendPage(
      res,
      200,
      'Google account linked',
      `Linked as ${google.email} — you can return to Slack.${until ? ` The link is valid until ${until} UTC; run /tispace login again to renew it.` : ''}`,
    );
  }

  async function slackProfileEmail(
    userId: string,
  ): Promise<{ ok: true; email: string } | { ok: false; refusal: Refusal }> {
    let info: Awaited<ReturnType<WebClient['users']['info']>>;
    try {
      info = await slack.users.info({ user: userId });
    } catch (error) {
      const slackError = (error as { data?: { error?: unknown } }).data?.error;
      if (slackError === 'user_not_found' || slackError === 'user_not_visible')
        return {
          ok: false,
          refusal: {
            status: 403,
            reason: 'slack-user-not-found',
            message: 'Your Slack account could not be found, so nothing was linked. Ask an admin.',
          },
        };
      log.error({ userId, error: describeError(error) }, 'users.info failed during Google linking');
      return { ok: false, refusal: INTERNAL };
    }
    if (info.user?.deleted || info.user?.is_bot)
      return {
        ok: false,
        refusal: {
          status: 403,
          reason: 'slack-user-inactive',
          message: 'Your Slack account is deactivated, so nothing was linked.',
        },
      };
    const email = info.user?.profile?.email;
    if (!email)
      return {
        ok: false,
        refusal: {
          status: 403,
          reason: 'slack-email-unknown',
          message:
            'TiSpace cannot read the email address of your Slack profile, so it cannot check that this Google account is yours. Nothing was linked. Ask an admin (the Slack app needs the users:read.email scope).',
        },
      };
    return { ok: true, email };
  }

  /** Best effort: the link is stored whatever Slack answers. */
  async function confirmByDm(userId: string, email: string, until: string): Promise<void> {
    try {
      const opened = await slack.conversations.open({ users: userId });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      const text = `:white_check_mark: Your Google account *${slackEscape(email)}* is now linked to TiSpace${until ? ` until ${until} UTC` : ''}. Run \`/tispace login\` again to renew it.`;
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
        if (!res.headersSent) sendPage(res, 500, 'Something went wrong', INTERNAL.message);
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

export { SIGN_IN_TTL_MS };
