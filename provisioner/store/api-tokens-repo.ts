import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface ApiToken {
  id: number;
  userId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Row {
  id: number;
  user_id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const fromRow = (r: Row): ApiToken => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  scopes: r.scopes.split(' ').filter(Boolean),
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** Personal API tokens: only the SHA-256 of a token is stored; the token itself is shown once. */
export class ApiTokensRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  insert(t: {
    userId: string;
    name: string;
    tokenHash: string;
    scopes: string[];
    createdAt: string;
    expiresAt: string;
  }): ApiToken {
    const { lastInsertRowid } = this.#sql
      .get(
        'INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(t.userId, t.name, t.tokenHash, t.scopes.join(' '), t.createdAt, t.expiresAt);
    return this.get(Number(lastInsertRowid))!;
  }

  get(id: number): ApiToken | undefined {
    const r = this.#sql.get('SELECT * FROM api_tokens WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  byHash(tokenHash: string): ApiToken | undefined {
    const r = this.#sql.get('SELECT * FROM api_tokens WHERE token_hash = ?').get(tokenHash) as
      | Row
      | undefined;
    return r && fromRow(r);
  }

  list(userId: string): ApiToken[] {
    return (this.#sql.get('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY id').all(userId) as Row[]).map(
      fromRow,
    );
  }

  touch(id: number, now: string): void {
    this.#sql.get('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  revoke(userId: string, id: number, now: string): boolean {
    return (
      this.#sql
        .get('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
        .run(now, id, userId).changes === 1
    );
  }
}
