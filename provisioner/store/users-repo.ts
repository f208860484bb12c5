import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface User {
  userId: string;
  teamId: string;
  googleSub: string | null;
  email: string | null;
  linkedAt: string | null;
  linkExpiresAt: string | null;
  deactivatedAt: string | null;
  deactivatedReason: string | null;
  tz: string | null;
}

interface UserRow {
  user_id: string;
  team_id: string;
  google_sub: string | null;
  email: string | null;
  linked_at: string | null;
  link_expires_at: string | null;
  deactivated_at: string | null;
  deactivated_reason: string | null;
  tz: string | null;
}

const fromRow = (r: UserRow): User => ({
  userId: r.user_id,
  teamId: r.team_id,
  googleSub: r.google_sub,
  email: r.email,
  linkedAt: r.linked_at,
  linkExpiresAt: r.link_expires_at,
  deactivatedAt: r.deactivated_at,
  deactivatedReason: r.deactivated_reason,
  tz: r.tz,
});

/** Slack users and their Google Workspace links. */
export class UsersRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  get(userId: string): User | undefined {
    const row = this.#sql.get('SELECT * FROM users WHERE user_id = ?').get(userId) as UserRow | undefined;
    return row && fromRow(row);
  }

  /** Every user's time zone, for a job pass over many instances (one query instead of one per owner). */
  timeZones(): Map<string, string> {
    const rows = this.#sql.get('SELECT user_id, tz FROM users WHERE tz IS NOT NULL').all() as {
      user_id: string;
      tz: string;
    }[];
    return new Map(rows.map((r) => [r.user_id, r.tz]));
  }

  findByEmail(email: string): User | undefined {
    const row = this.#sql.get('SELECT * FROM users WHERE lower(email) = lower(?)').get(email) as
      | UserRow
      | undefined;
    return row && fromRow(row);
  }

  findByGoogleSub(googleSub: string): User | undefined {
    const row = this.#sql.get('SELECT * FROM users WHERE google_sub = ?').get(googleSub) as
      | UserRow
      | undefined;
    return row && fromRow(row);
  }

  ensure(userId: string, teamId: string, now: string): User {
    this.#sql
      .get(
        'INSERT INTO users (user_id, team_id, created_at) VALUES (?, ?, ?) ON CONFLICT(user_id) DO NOTHING',
      )
      .run(userId, teamId, now);
    return this.get(userId)!;
  }

  link(
    userId: string,
    link: { teamId: string; googleSub: string; email: string; linkedAt: string; expiresAt: string },
  ): void {
    this.ensure(userId, link.teamId, link.linkedAt);
    // A Google account links to one Slack user: a re-link elsewhere moves it.
    this.#sql
      .get(
        'UPDATE users SET google_sub = NULL, email = NULL, linked_at = NULL, link_expires_at = NULL WHERE google_sub = ? AND user_id != ?',
      )
      .run(link.googleSub, userId);
    this.#sql
      .get(
        'UPDATE users SET team_id = ?, google_sub = ?, email = ?, linked_at = ?, link_expires_at = ? WHERE user_id = ?',
      )
      .run(link.teamId, link.googleSub, link.email, link.linkedAt, link.expiresAt, userId);
  }

  unlink(userId: string): void {
    this.#sql
      .get(
        'UPDATE users SET google_sub = NULL, email = NULL, linked_at = NULL, link_expires_at = NULL WHERE user_id = ?',
      )
      .run(userId);
  }

  deactivate(userId: string, reason: string, now: string): void {
    this.ensure(userId, '', now);
    this.#sql
      .get(
        'UPDATE users SET deactivated_at = COALESCE(deactivated_at, ?), deactivated_reason = ? WHERE user_id = ?',
      )
      .run(now, reason, userId);
  }

  reactivate(userId: string): void {
    this.#sql
      .get('UPDATE users SET deactivated_at = NULL, deactivated_reason = NULL WHERE user_id = ?')
      .run(userId);
  }

  setTimeZone(userId: string, tz: string): void {
    this.#sql.get('UPDATE users SET tz = ? WHERE user_id = ?').run(tz, userId);
  }

  list(): User[] {
    return (this.#sql.get('SELECT * FROM users ORDER BY user_id').all() as UserRow[]).map(fromRow);
  }

  listLinked(): User[] {
    return (this.#sql.get('SELECT * FROM users WHERE google_sub IS NOT NULL').all() as UserRow[]).map(
      fromRow,
    );
  }
}
