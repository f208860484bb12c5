import type { Quota } from '../config/schema.ts';
import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

interface QuotaRow {
  instances: number;
  cpu: number;
  memory_gib: number;
  disk_gib: number;
}

/** Admin overrides of the default per-user quota. */
export class QuotasRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  get(userId: string): Quota | undefined {
    const row = this.#sql
      .get('SELECT instances, cpu, memory_gib, disk_gib FROM quota_overrides WHERE user_id = ?')
      .get(userId) as QuotaRow | undefined;
    return (
      row && { instances: row.instances, cpu: row.cpu, memoryGiB: row.memory_gib, diskGiB: row.disk_gib }
    );
  }

  set(userId: string, quota: Quota, setBy: string, now: string): void {
    this.#sql
      .get(
        `INSERT INTO quota_overrides (user_id, instances, cpu, memory_gib, disk_gib, set_by, set_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(user_id) DO UPDATE SET instances = excluded.instances, cpu = excluded.cpu,
           memory_gib = excluded.memory_gib, disk_gib = excluded.disk_gib, set_by = excluded.set_by, set_at = excluded.set_at`,
      )
      .run(userId, quota.instances, quota.cpu, quota.memoryGiB, quota.diskGiB, setBy, now);
  }
}
