import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintTicket, SIGN_IN_TTL_MS, stateKey, verifyTicket } from '../../../../bot/identity/state.ts';

const key = stateKey('a-long-random-tispace-secret-for-tests-0123456789');
const at = new Date('2026-01-05T09:00:00Z');
const ADA = { teamId: 'TCORP', userId: 'UADA' };

describe('sign-in state tickets', () => {
  it('round-trips team, user and a 10-minute expiry', () => {
    const t = mintTicket(key, ADA, at);
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyTicket(key, t, at)).toEqual({
      ok: true,
      ticket: { ...ADA, expiresAt: at.getTime() + SIGN_IN_TTL_MS },
    });
    expect(SIGN_IN_TTL_MS).toBe(10 * 60_000);
  });

  it('every ticket is unique', () => {
    const seen = new Set(Array.from({ length: 100 }, () => mintTicket(key, ADA, at)));
    expect(seen.size).toBe(100);
  });

  it('expires exactly at 10 minutes', () => {
    const t = mintTicket(key, ADA, at);
    expect(verifyTicket(key, t, new Date(at.getTime() + SIGN_IN_TTL_MS - 1)).ok).toBe(true);
    expect(verifyTicket(key, t, new Date(at.getTime() + SIGN_IN_TTL_MS))).toEqual({
      ok: false,
      problem: 'expired',
    });
  });

  it('refuses altered payloads, other keys and garbage', () => {
    const t = mintTicket(key, ADA, at);
    const [payload, mac] = t.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const reencode = (c: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify(c)).toString('base64url')}.${mac}`;
    expect(verifyTicket(key, reencode({ ...claims, u: 'UBOB' }), at)).toEqual({
      ok: false,
      problem: 'forged',
    });
    expect(verifyTicket(key, reencode({ ...claims, x: Number(claims.x) + 3_600_000 }), at)).toMatchObject({
      problem: 'forged',
    });
    const other = stateKey('another-secret-another-secret-another-secret');
    expect(verifyTicket(other, t, at)).toMatchObject({ ok: false, problem: 'forged' });
    // One character of the signature changed (to another one: a fixed replacement is sometimes the same).
    const altered = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'E' : 'A'}`;
    expect(verifyTicket(key, `${payload}.${altered}`, at)).toMatchObject({ problem: 'forged' });
    for (const bad of [undefined, null, '', 'x', 'a.b.c', `${t}.x`, 'a'.repeat(700)])
      expect(verifyTicket(key, bad, at).ok).toBe(false);
  });

  it('refuses a correctly signed payload of the wrong shape', () => {
    const payload = Buffer.from(JSON.stringify({ v: 2, t: 'T', u: 'U', x: 1, r: 'r' })).toString('base64url');
    const mac = createHmac('sha256', key).update(payload).digest('base64url');
    expect(verifyTicket(key, `${payload}.${mac}`, at)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('an empty TISPACE_SECRET is a configuration error', () => {
    expect(() => stateKey('')).toThrow(/TISPACE_SECRET/);
  });
});
