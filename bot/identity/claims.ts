// The checks on a Google ID token that google-auth-library's verifyIdToken does not make. verifyIdToken
// has already checked the RS256 signature against Google's published certificates, exp/iat (with 5 min
// skew), the audience (our client id) and that iss is in its own list — a list that also contains the
// universe domain ('googleapis.com'), which is why the issuer is checked again here.
import { timingSafeEqual } from 'node:crypto';
import type { TokenPayload } from 'google-auth-library';

/**
 * Google's ID token issuers. Google documents both spellings ("The value of iss in the ID token is equal
 * to https://accounts.google.com or accounts.google.com"), so both are accepted, as exact strings; nothing
 * else is (in particular not the library's extra 'googleapis.com').
 */
export const GOOGLE_ISSUERS: readonly string[] = ['https://accounts.google.com', 'accounts.google.com'];

export interface Refusal {
  status: 400 | 403 | 500;
  /** Stable machine-readable reason (logs, tests). */
  reason: string;
  /** Plain text shown to the user (HTML-escaped when rendered). */
  message: string;
}

export interface GoogleIdentity {
  sub: string;
  email: string;
  hd: string;
}

const AGAIN = 'Run /tispace login in Slack to try again.';

/** Lower-cases and trims configured domains; refuses an empty list (nobody could ever link). */
export function normalizeDomains(domains: readonly string[]): string[] {
  const out = domains.map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (out.length === 0) throw new Error('GOOGLE_ALLOWED_DOMAINS must name at least one Workspace domain');
  for (const d of out)
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d))
      throw new Error(`GOOGLE_ALLOWED_DOMAINS: "${d}" is not a domain name`);
  return [...new Set(out)];
}

const domainList = (domains: readonly string[]): string =>
  domains.length === 1 ? domains[0]! : `${domains.slice(0, -1).join(', ')} or ${domains.at(-1)}`;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks issuer, nonce, email_verified and hosted domain of an already signature-verified payload.
 * `allowedDomains` must be normalized (lower case); hd must equal one of them exactly — no suffix,
 * prefix or substring match (corp.com.evil.io, evilcorp.com and sub.corp.com are not corp.com).
 */
export function checkGoogleClaims(
  payload: TokenPayload | undefined,
  expected: { nonce: string; allowedDomains: readonly string[] },
): { ok: true; identity: GoogleIdentity } | { ok: false; refusal: Refusal } {
  const refuse = (reason: string, message: string) =>
    ({ ok: false, refusal: { status: 403, reason, message } }) as const;
  if (!payload)
    return refuse('no-payload', `Google's sign-in answer was empty. Nothing was linked. ${AGAIN}`);
  if (typeof payload.iss !== 'string' || !GOOGLE_ISSUERS.includes(payload.iss))
    return refuse(
      'issuer',
      `Google's sign-in answer could not be verified: it was not issued by Google (issuer "${String(payload.iss)}"). Nothing was linked.`,
    );
  if (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, expected.nonce))
    return refuse(
      'nonce',
      `This Google answer does not belong to the sign-in you started (nonce mismatch). Nothing was linked. ${AGAIN}`,
    );
  if (typeof payload.sub !== 'string' || !payload.sub)
    return refuse('no-sub', `Google's sign-in answer names no account. Nothing was linked. ${AGAIN}`);
  const email = typeof payload.email === 'string' ? payload.email : '';
  if (!email)
    return refuse(
      'no-email',
      `Google did not share the account's email address. Nothing was linked. ${AGAIN}`,
    );
  // Only the boolean true counts (not "true", not missing).
  if (payload.email_verified !== true)
    return refuse(
      'email-unverified',
      `The email address of your Google account (${email}) is not verified by Google. Nothing was linked.`,
    );
  const domains = domainList(expected.allowedDomains);
  if (typeof payload.hd !== 'string' || !payload.hd)
    return refuse(
      'no-hd',
      `${email} is a personal Google account, not a company one. Sign in with your ${domains} Google Workspace account. ${AGAIN}`,
    );
  if (!expected.allowedDomains.includes(payload.hd.toLowerCase()))
    return refuse(
      'hd',
      `${email} belongs to the Google Workspace domain ${payload.hd}, which is not allowed here. Sign in with your ${domains} account. ${AGAIN}`,
    );
  return { ok: true, identity: { sub: payload.sub, email, hd: payload.hd.toLowerCase() } };
}

/** Google email vs Slack profile email: equal ignoring case (and surrounding blanks), nothing looser. */
export function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** What verifyIdToken's error means, in words for the user (its messages can carry the whole token). */
export function describeVerifyError(error: unknown): { reason: string; why: string } {
  const text = error instanceof Error ? error.message : String(error);
  if (/Wrong recipient|audience/i.test(text))
    return { reason: 'audience', why: 'it was issued for another application' };
  if (/used too late/i.test(text)) return { reason: 'expired', why: 'it has expired' };
  if (/used too early/i.test(text)) return { reason: 'not-yet-valid', why: 'it is not valid yet' };
  if (/too far in future/i.test(text)) return { reason: 'lifetime', why: 'its lifetime is too long' };
  if (/Invalid token signature|No pem found/i.test(text))
    return { reason: 'signature', why: 'its signature is not from Google' };
  if (/Invalid issuer/i.test(text)) return { reason: 'issuer', why: 'it was not issued by Google' };
  return { reason: 'malformed', why: 'it is malformed' };
}
