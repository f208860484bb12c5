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

  /**
   * For the SSH gateway: every registered copy of the key with this fingerprint whose owner is linked to
   * Google and not deactivated, with the stable names of that owner's running machines. Indexed both
   * ways (ssh_keys_fingerprint, instances_owner_name), so it stays a few index probes at any size.
   */
  gatewayGrants(fingerprint: string): { publicKey: string; hosts: string[] }[] {
    const keys = this.#sql
      .get(
        `SELECT k.user_id AS userId, k.public_key AS publicKey FROM ssh_keys k JOIN users u ON u.user_id = k.user_id
         WHERE k.fingerprint = ? AND u.google_sub IS NOT NULL AND u.deactivated_at IS NULL ORDER BY k.id`,
      )
      .all(fingerprint) as { userId: string; publicKey: string }[];
    const hosts = this.#sql.get(
      // phase != 'deleted' repeats the partial index's condition so SQLite can use it.
      `SELECT ssh_host AS host FROM instances WHERE owner_id = ? AND phase != 'deleted'
         AND phase = 'running' AND desired = 'running' AND ssh_host IS NOT NULL ORDER BY id`,
    );
    return keys.map((k) => ({
      // Type and key only: the comment is the user's free text and has no place in sshd's input.
      publicKey: k.publicKey.split(' ').slice(0, 2).join(' '),
      hosts: (hosts.all(k.userId) as { host: string }[]).map((r) => r.host),
    }));
  }

  remove(userId: string, id: number): boolean {
    return this.#sql.get('DELETE FROM ssh_keys WHERE user_id = ? AND id = ?').run(userId, id).changes === 1;
  }
}
