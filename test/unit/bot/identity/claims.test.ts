import type { TokenPayload } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import {
  checkGoogleClaims,
  describeVerifyError,
  GOOGLE_ISSUERS,
  normalizeDomains,
  sameEmail,
} from '../../../../bot/identity/claims.ts';
import { escapeHtml, renderPage } from '../../../../bot/identity/pages.ts';

const base: TokenPayload = {
  iss: 'https://accounts.google.com',
  aud: 'client',
  sub: '1001',
  iat: 1,
  exp: 2,
  email: 'ada@corp.com',
  email_verified: true,
  hd: 'corp.com',
  nonce: 'n-1',
};
const expected = { nonce: 'n-1', allowedDomains: ['corp.com', 'corp.io'] };
const check = (overrides: Record<string, unknown>) =>
  checkGoogleClaims({ ...base, ...overrides } as TokenPayload, expected);
const reasonOf = (overrides: Record<string, unknown>) => {
  const r = check(overrides);
  return r.ok ? 'ok' : r.refusal.reason;
};

describe('checkGoogleClaims', () => {
  it('accepts a Workspace account of an allowed domain', () => {
    expect(check({})).toEqual({ ok: true, identity: { sub: '1001', email: 'ada@corp.com', hd: 'corp.com' } });
    expect(reasonOf({ hd: 'corp.io' })).toBe('ok');
  });

  it('accepts exactly the two issuers Google documents, nothing else', () => {
    expect(GOOGLE_ISSUERS).toEqual(['https://accounts.google.com', 'accounts.google.com']);
    expect(reasonOf({ iss: 'accounts.google.com' })).toBe('ok');
    for (const iss of [
      'googleapis.com',
      'https://accounts.google.com/',
      'http://accounts.google.com',
      'https://accounts.google.com.evil.io',
      'https://ACCOUNTS.GOOGLE.COM',
      '',
      undefined,
    ])
      expect(reasonOf({ iss }), String(iss)).toBe('issuer');
  });

  it('requires the nonce sent', () => {
    expect(reasonOf({ nonce: 'n-2' })).toBe('nonce');
    expect(reasonOf({ nonce: 'n-1 ' })).toBe('nonce');
    expect(reasonOf({ nonce: undefined })).toBe('nonce');
  });

  it('requires email_verified to be the boolean true', () => {
    expect(reasonOf({ email_verified: false })).toBe('email-unverified');
    expect(reasonOf({ email_verified: 'true' })).toBe('email-unverified');
    expect(reasonOf({ email_verified: undefined })).toBe('email-unverified');
  });

  it('requires hd to equal an allowed domain exactly (no suffix, prefix or substring match)', () => {
    expect(reasonOf({ hd: undefined })).toBe('no-hd');
    expect(reasonOf({ hd: '' })).toBe('no-hd');
    for (const hd of [
      'corp.com.evil.io',
      'evilcorp.com',
      'eng.corp.com',
      'corp.co',
      'corp.comm',
      'orp.com',
      'corp',
    ])
      expect(reasonOf({ hd }), hd).toBe('hd');
    expect(reasonOf({ hd: 'CORP.COM' })).toBe('ok'); // domain names are case-insensitive
  });

  it('requires a subject and an email', () => {
    expect(reasonOf({ sub: '' })).toBe('no-sub');
    expect(reasonOf({ email: undefined })).toBe('no-email');
    expect(checkGoogleClaims(undefined, expected)).toMatchObject({
      ok: false,
      refusal: { reason: 'no-payload' },
    });
  });

  it('all refusals are 403 with a message for the user', () => {
    const r = check({ hd: 'other.com' });
    expect(r).toMatchObject({
      ok: false,
      refusal: {
        status: 403,
        message:
          'ada@corp.com belongs to the Google Workspace domain other.com, which is not allowed here. Sign in with your corp.com or corp.io account. Run /tispace login in Slack to try again.',
      },
    });
  });
});

describe('helpers', () => {
  it('normalizeDomains lower-cases, trims, dedupes and refuses bad or empty lists', () => {
    expect(normalizeDomains([' Corp.com ', 'corp.com', 'x.io'])).toEqual(['corp.com', 'x.io']);
    expect(() => normalizeDomains([])).toThrow(/at least one/);
    expect(() => normalizeDomains([' '])).toThrow(/at least one/);
    expect(() => normalizeDomains(['*.corp.com'])).toThrow(/not a domain/);
    expect(() => normalizeDomains(['corp'])).toThrow(/not a domain/);
  });

  it('sameEmail ignores case only', () => {
    expect(sameEmail('Ada@Corp.com', 'ada@corp.com')).toBe(true);
    expect(sameEmail('ada@corp.com', 'ada@corp.com.evil.io')).toBe(false);
    expect(sameEmail('ada+x@corp.com', 'ada@corp.com')).toBe(false);
  });

  it('describeVerifyError never echoes the token', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
    expect(describeVerifyError(new Error(`Invalid token signature: ${jwt}`))).toEqual({
      reason: 'signature',
      why: 'its signature is not from Google',
    });
    expect(
      describeVerifyError(new Error('Wrong recipient, payload audience != requiredAudience')).reason,
    ).toBe('audience');
    expect(describeVerifyError(new Error('Token used too late, 1 > 0: {}')).reason).toBe('expired');
    expect(describeVerifyError(new Error('No pem found for envelope: {}')).reason).toBe('signature');
    expect(describeVerifyError('weird').reason).toBe('malformed');
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    const page = renderPage('<t>', '<m>');
    expect(page).toContain('<h1>&lt;t&gt;</h1>');
    expect(page).toContain('<p>&lt;m&gt;</p>');
  });
});
