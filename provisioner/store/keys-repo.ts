import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface SshKey {
  id: number;
  userId: string;
  fingerprint: string;
  type: string;
  comment: string;
  publicKey: string;
  createdAt: string;
}

interface KeyRow {
  id: number;
  user_id: string;
  fingerprint: string;
  type: string;
  comment: string;
  public_key: string;
  created_at: string;
}

const fromRow = (r: KeyRow): SshKey => ({
  id: r.id,
  userId: r.user_id,
  fingerprint: r.fingerprint,
  type: r.type,
  comment: r.comment,
  publicKey: r.public_key,
  createdAt: r.created_at,
});

/** Users' registered SSH public keys (never private keys). */
export class KeysRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  add(key: Omit<SshKey, 'id'>): SshKey | undefined {
    const info = this.#sql
      .get(
        'INSERT INTO ssh_keys (user_id, fingerprint, type, comment, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(key.userId, key.fingerprint, key.type, key.comment, key.publicKey, key.createdAt);
    return info.changes === 1 ? { ...key, id: Number(info.lastInsertRowid) } : undefined;
  }

  list(userId: string): SshKey[] {
    return (
      this.#sql.get('SELECT * FROM ssh_keys WHERE user_id = ? ORDER BY id').all(userId) as KeyRow[]
    ).map(fromRow);
  }

  remove(userId: string, id: number): boolean {
    return this.#sql.get('DELETE FROM ssh_keys WHERE user_id = ? AND id = ?').run(userId, id).changes === 1;
  }
}
