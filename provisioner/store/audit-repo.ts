import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  instanceId: string | null;
  reason: string;
  details: Record<string, unknown>;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  instance_id: string | null;
  reason: string;
  details: string;
}

const fromRow = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  instanceId: r.instance_id,
  reason: r.reason,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

/** Append-only record of every state change: who, what, why. */
export class AuditRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  record(entry: Omit<AuditEntry, 'id'>): void {
    this.#sql
      .get('INSERT INTO audit (at, actor, action, instance_id, reason, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        entry.at,
        entry.actor,
        entry.action,
        entry.instanceId,
        entry.reason,
        JSON.stringify(entry.details),
      );
  }

  forInstance(instanceId: string): AuditEntry[] {
    return (
      this.#sql.get('SELECT * FROM audit WHERE instance_id = ? ORDER BY id').all(instanceId) as AuditRow[]
    ).map(fromRow);
  }

  all(): AuditEntry[] {
    return (this.#sql.get('SELECT * FROM audit ORDER BY id').all() as AuditRow[]).map(fromRow);
  }

  /** Newest first, every given filter applied in SQL (the admin's search; the log grows without bound). */
  search(
    q: { actor?: string; instance?: string; action?: string; since?: string; until?: string },
    limit: number,
  ): AuditEntry[] {
    return (
      this.#sql
        .get(
          `SELECT * FROM audit WHERE (@actor IS NULL OR actor = @actor)
           AND (@instance IS NULL OR instance_id = @instance) AND (@action IS NULL OR action = @action)
           AND (@since IS NULL OR at >= @since) AND (@until IS NULL OR at <= @until)
           ORDER BY id DESC LIMIT @limit`,
        )
        .all({
          actor: q.actor || null,
          instance: q.instance || null,
          action: q.action || null,
          since: q.since || null,
          until: q.until || null,
          limit,
        }) as AuditRow[]
    ).map(fromRow);
  }
}
