// Browser sessions: a random cookie naming a server-side session row (SQLite), HttpOnly, SameSite=Lax,
// Secure (with the __Host- prefix) everywhere except plain-HTTP loopback in dev mode. Every
// state-changing request must carry the session's CSRF token (form field _csrf or header x-csrf-token).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { OpenSession, Provisioner } from '../../provisioner/api.ts';
import { cookies } from '../http/request.ts';

export interface SignedIn extends OpenSession {
  token: string;
  email: string;
  isAdmin: boolean;
}

export type SessionProblem = 'none' | 'ended' | 'expired';

export class SessionCookies {
  readonly name: string;
  constructor(
    private readonly web: Provisioner['web'],
    private readonly api: Provisioner['api'],
    readonly secure: boolean,
  ) {
    this.name = secure ? '__Host-tispace_session' : 'tispace_session';
  }

  /** Who is signed in on this request, or why nobody is. */
  read(req: IncomingMessage): { ok: true; session: SignedIn } | { ok: false; problem: SessionProblem } {
    const token = cookies(req).get(this.name);
    if (!token) return { ok: false, problem: 'none' };
    const s = this.web.session(token);
    if (!s.ok)
      return {
        ok: false,
        problem:
          s.error.code === 'InvalidState' ? (/expired/.test(s.error.message) ? 'expired' : 'ended') : 'none',
      };
    const who = this.api.whoami({ userId: s.value.userId });
    if (!who.user || !who.linked || who.user.deactivatedAt) return { ok: false, problem: 'ended' };
    return { ok: true, session: { ...s.value, token, email: who.user.email ?? '', isAdmin: who.isAdmin } };
  }

  set(token: string, expiresAt: string): string {
    const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
    return `${this.name}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.secure ? '; Secure' : ''}`;
  }

  clear(): string {
    return `${this.name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${this.secure ? '; Secure' : ''}`;
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: SignedIn, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || !submitted) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
