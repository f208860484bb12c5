import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';

/**
 * Prepared statements by SQL text, prepared once per connection: preparing costs more than running a
 * small statement, and the jobs run the same few thousands of times per pass.
 */
export class PreparedStatements {
  readonly #statements = new Map<string, Statement<unknown[], unknown>>();
  constructor(private readonly db: Db) {}

  get(sql: string): Statement<unknown[], unknown> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
