import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface WebSession {
  tokenHash: string;
  userId: string;
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
  /** Absolute expiry; the idle expiry is lastSeenAt + the idle timeout. */
  expiresAt: string;
  endedAt: string | null;
}

interface Row {
  token_hash: string;
  user_id: string;
  csrf: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ended_at: string | null;
}

const fromRow = (r: Row): WebSession => ({
  tokenHash: r.token_hash,
  userId: r.user_id,
  csrf: r.csrf,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
});

/** Browser sessions of the web front end, keyed by the SHA-256 of the cookie's value (never the value). */
export class WebSessionsRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  insert(s: Omit<WebSession, 'endedAt'>): void {
    this.#sql
      .get(
        'INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.tokenHash, s.userId, s.csrf, s.createdAt, s.lastSeenAt, s.expiresAt);
  }

  get(tokenHash: string): WebSession | undefined {
    const r = this.#sql.get('SELECT * FROM web_sessions WHERE token_hash = ?').get(tokenHash) as
      | Row
      | undefined;
    return r && fromRow(r);
  }

  touch(tokenHash: string, now: string): void {
    this.#sql.get('UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?').run(now, tokenHash);
  }

  end(tokenHash: string, now: string): void {
    this.#sql
      .get('UPDATE web_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL')
      .run(now, tokenHash);
  }

  /** Ends every session of the user; returns how many were open. */
  endAll(userId: string, now: string): number {
    return this.#sql
      .get('UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL')
      .run(now, userId).changes;
  }

  /** Forgets sessions that ended or expired before `before` (kept a while for the audit trail). */
  purge(before: string): void {
    this.#sql
      .get('DELETE FROM web_sessions WHERE expires_at < ? OR (ended_at IS NOT NULL AND ended_at < ?)')
      .run(before, before);
  }
}
