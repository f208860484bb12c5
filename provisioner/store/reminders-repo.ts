import type { Db } from './db.ts';

/** Which reminders went out. The primary key makes each (instance, kind, due) claimable exactly once. */
export class RemindersRepo {
  constructor(private readonly db: Db) {}

  /** Claims the right to send; false if some run (this or another process) already claimed it. */
  claim(instanceId: string, kind: string, dueKey: string, now: string): boolean {
    return (
      this.db
        .prepare(
          'INSERT INTO reminders (instance_id, kind, due_key, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(instanceId, kind, dueKey, now).changes === 1
    );
  }

  /** Gives a claim back when sending failed for good, so the next run tries again. */
  release(instanceId: string, kind: string, dueKey: string): void {
    this.db
      .prepare('DELETE FROM reminders WHERE instance_id = ? AND kind = ? AND due_key = ?')
      .run(instanceId, kind, dueKey);
  }

  sent(instanceId: string, kind: string, dueKey: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM reminders WHERE instance_id = ? AND kind = ? AND due_key = ?')
        .get(instanceId, kind, dueKey) !== undefined
    );
  }
}
