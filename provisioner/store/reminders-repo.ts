import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

/** Which reminders went out. The primary key makes each (instance, kind, due) claimable exactly once. */
export class RemindersRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  /** Claims the right to send; false if some run (this or another process) already claimed it. */
  claim(instanceId: string, kind: string, dueKey: string, now: string): boolean {
    return (
      this.#sql
        .get(
          'INSERT INTO reminders (instance_id, kind, due_key, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(instanceId, kind, dueKey, now).changes === 1
    );
  }

  /** Gives a claim back when sending failed for good, so the next run tries again. */
  release(instanceId: string, kind: string, dueKey: string): void {
    this.#sql
      .get('DELETE FROM reminders WHERE instance_id = ? AND kind = ? AND due_key = ?')
      .run(instanceId, kind, dueKey);
  }

  sent(instanceId: string, kind: string, dueKey: string): boolean {
    return (
      this.#sql
        .get('SELECT 1 FROM reminders WHERE instance_id = ? AND kind = ? AND due_key = ?')
        .get(instanceId, kind, dueKey) !== undefined
    );
  }

  /** How many claims of `kind` the instance has whose key starts with `keyPrefix`. */
  count(instanceId: string, kind: string, keyPrefix: string): number {
    const row = this.#sql
      .get(
        'SELECT COUNT(*) AS n FROM reminders WHERE instance_id = ? AND kind = ? AND substr(due_key, 1, length(?)) = ?',
      )
      .get(instanceId, kind, keyPrefix, keyPrefix) as { n: number };
    return row.n;
  }

  /** When the claim was made (ISO), undefined if there is none. */
  sentAt(instanceId: string, kind: string, dueKey: string): string | undefined {
    const row = this.#sql
      .get('SELECT sent_at FROM reminders WHERE instance_id = ? AND kind = ? AND due_key = ?')
      .get(instanceId, kind, dueKey) as { sent_at: string } | undefined;
    return row?.sent_at;
  }

  /**
   * Claims of `kind` made at or after `since` that have no claim of `followUp` with the same instance and
   * key (an action whose notice is still owed).
   */
  unmatched(
    kind: string,
    followUp: string,
    since: string,
  ): { instanceId: string; dueKey: string; sentAt: string }[] {
    return this.#sql
      .get(
        `SELECT a.instance_id AS instanceId, a.due_key AS dueKey, a.sent_at AS sentAt FROM reminders a
         WHERE a.kind = ? AND a.sent_at >= ? AND NOT EXISTS (
           SELECT 1 FROM reminders b WHERE b.instance_id = a.instance_id AND b.kind = ? AND b.due_key = a.due_key)
         ORDER BY a.sent_at`,
      )
      .all(kind, since, followUp) as { instanceId: string; dueKey: string; sentAt: string }[];
  }
}
