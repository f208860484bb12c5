// Google sign-in states (Slack linking and web sign-in alike): how long one lasts, and why one is refused.

/** How long a sign-in (from the link or the sign-in button to Google's answer) stays valid. */
export const SIGN_IN_TTL_MS = 10 * 60_000;

/** The lifetime in words, for messages. */
export const SIGN_IN_LIFETIME = `${SIGN_IN_TTL_MS / 60_000} minutes`;

/** Why a sign-in state cannot be used: never started here, already used, or past its lifetime. */
export type SignInRefusal = 'Unknown' | 'Used' | 'Expired';

export type SignInResult<T> = { ok: true; value: T } | { ok: false; refusal: SignInRefusal; message: string };
