// Every way Slack account linking refuses, as data: a stable code, the HTTP status and what the user is
// told. The steps of google-link.ts return these; nothing matches on message text.
import { SIGN_IN_LIFETIME } from '../../provisioner/api.ts';
import type { Refusal } from './claims.ts';

export const AGAIN = 'Run /tispace login in Slack to get a new sign-in link.';

/** Refusals that do not depend on what Google or Slack answered. */
export const LINK_REFUSALS = {
  Malformed: { status: 400, reason: 'state-invalid', message: `This sign-in link is not valid. ${AGAIN}` },
  Forged: { status: 400, reason: 'state-forged', message: `This sign-in link is not valid. ${AGAIN}` },
  Expired: {
    status: 400,
    reason: 'state-expired',
    message: `This sign-in link has expired (links last ${SIGN_IN_LIFETIME}). ${AGAIN}`,
  },
  Used: { status: 400, reason: 'state-used', message: `This sign-in link was already used. ${AGAIN}` },
  NoCode: {
    status: 400,
    reason: 'no-code',
    message: `Google's answer carried no sign-in code. Nothing was linked. ${AGAIN}`,
  },
  NoIdToken: {
    status: 400,
    reason: 'no-id-token',
    message: `Google's answer carried no ID token. Nothing was linked. ${AGAIN}`,
  },
  SlackUserNotFound: {
    status: 403,
    reason: 'slack-user-not-found',
    message: 'Your Slack account could not be found, so nothing was linked. Ask an admin.',
  },
  SlackUserInactive: {
    status: 403,
    reason: 'slack-user-inactive',
    message: 'Your Slack account is deactivated, so nothing was linked.',
  },
  SlackEmailUnknown: {
    status: 403,
    reason: 'slack-email-unknown',
    message:
      'TiSpace cannot read the email address of your Slack profile, so it cannot check that this Google account is yours. Nothing was linked. Ask an admin (the Slack app needs the users:read.email scope).',
  },
  Deactivated: {
    status: 403,
    reason: 'deactivated',
    message: 'Your TiSpace account is deactivated (offboarded), so it cannot be linked. Ask an admin.',
  },
  Internal: {
    status: 500,
    reason: 'internal',
    message: 'Something went wrong on TiSpace’s side; nothing was linked. Run /tispace login in a minute.',
  },
} as const satisfies Record<string, Refusal>;

/** Google answered the sign-in with an error (cancelled, or another OAuth error code). */
export const googleErrorRefusal = (code: string): Refusal => ({
  status: 400,
  reason: `google-${code}`,
  message:
    code === 'access_denied'
      ? `The Google sign-in was cancelled. Nothing was linked. ${AGAIN}`
      : `Google did not complete the sign-in (${code}). Nothing was linked. ${AGAIN}`,
});

/** Google's token endpoint refused the code. */
export const tokenRefusal = (oauthError: string): Refusal => ({
  status: 400,
  reason: `token-${oauthError}`,
  message: `Google refused to complete this sign-in (${oauthError}): the sign-in code is invalid, was already used, or does not belong to this sign-in. Nothing was linked. ${AGAIN}`,
});

/** The ID token failed google-auth-library's verification. */
export const idTokenRefusal = (reason: string, why: string): Refusal => ({
  status: 403,
  reason: `id-token-${reason}`,
  message: `Google's sign-in answer could not be verified: ${why}. Nothing was linked. ${AGAIN}`,
});

export const emailMismatchRefusal = (googleEmail: string): Refusal => ({
  status: 403,
  reason: 'email-mismatch',
  message: `You signed in to Google as ${googleEmail}, which is not the email address of your Slack profile. Sign in with the Google account that has the same email address as your Slack profile. ${AGAIN}`,
});

/** A step of the flow: its value, or the refusal that ends the flow (with what to log about it). */
export type StepResult<T> =
  | { ok: true; value: T }
  | { ok: false; refusal: Refusal; context?: Record<string, unknown> };

export const refused = (refusal: Refusal, context?: Record<string, unknown>): StepResult<never> => ({
  ok: false,
  refusal,
  ...(context ? { context } : {}),
});

/** Name and message only: error objects of HTTP clients carry requests (codes, secrets, tokens). */
export const describeError = (error: unknown): { name: string; message: string } =>
  error instanceof Error
    ? { name: error.name, message: error.message.slice(0, 300) }
    : { name: 'Error', message: String(error).slice(0, 300) };
