// Sign-in state tickets. A ticket names the Slack team and user a Google sign-in is for and when it
// expires, and is HMAC-SHA256-signed with a key derived from TISPACE_SECRET, so a forged or altered state
// is refused before the database is touched. Single use is enforced server-side by the provisioner's
// sign-in state store (the ticket string is the row key), which also holds the PKCE verifier and nonce.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SIGN_IN_TTL_MS } from '../../provisioner/api.ts';

// How long a sign-in link (from /tispace login to Google's answer) stays valid: the provisioner's one
// sign-in lifetime, which its stored state carries too.
export { SIGN_IN_TTL_MS };

/** Longest ticket accepted; anything longer is not ours (checked before any parsing). */
const MAX_TICKET_LENGTH = 600;

const payloadSchema = z.strictObject({
  v: z.literal(1),
  t: z.string().min(1).max(64),
  u: z.string().min(1).max(64),
  /** Expiry, ms since the epoch. */
  x: z.number().int().positive(),
  /** 128 random bits: every ticket is unique. */
  r: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});

export interface StateTicket {
  teamId: string;
  userId: string;
  expiresAt: number;
}

export type TicketProblem = 'malformed' | 'forged' | 'expired';

/** Derives the state-signing key, so TISPACE_SECRET used elsewhere never signs these directly. */
export function stateKey(secret: string): Buffer {
  if (!secret) throw new Error('TISPACE_SECRET is empty; it signs Google sign-in states');
  return createHmac('sha256', secret).update('tispace/google-link/state/v1').digest();
}

const mac = (key: Buffer, payload: string): string =>
  createHmac('sha256', key).update(payload).digest('base64url');

export function mintTicket(key: Buffer, actor: { teamId: string; userId: string }, now: Date): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: 1,
      t: actor.teamId,
      u: actor.userId,
      x: now.getTime() + SIGN_IN_TTL_MS,
      r: randomBytes(16).toString('base64url'),
    }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/** Checks the signature first (constant time), then the shape, then the expiry. */
export function verifyTicket(
  key: Buffer,
  ticket: string | null | undefined,
  now: Date,
): { ok: true; ticket: StateTicket } | { ok: false; problem: TicketProblem } {
  if (!ticket || ticket.length > MAX_TICKET_LENGTH) return { ok: false, problem: 'malformed' };
  const parts = ticket.split('.');
  if (parts.length !== 2) return { ok: false, problem: 'malformed' };
  const [payload, signature] = parts as [string, string];
  const expected = Buffer.from(mac(key, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, problem: 'forged' };
  let parsed: z.output<typeof payloadSchema>;
  try {
    const result = payloadSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!result.success) return { ok: false, problem: 'malformed' };
    parsed = result.data;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (parsed.x <= now.getTime()) return { ok: false, problem: 'expired' };
  return { ok: true, ticket: { teamId: parsed.t, userId: parsed.u, expiresAt: parsed.x } };
}
