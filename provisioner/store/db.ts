import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export type Db = Database.Database;

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 100;

export interface OpenDbOptions {
  path: string;
  /** Stop at this schema version (tests build a database "made by the previous version"). */
  upTo?: number;
  migrations?: readonly Migration[];
}

/** Opens (creating if needed) the SQLite file in WAL mode and migrates it forward. */
export function openDb({ path, upTo, migrations = allMigrations }: OpenDbOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // SQLite waits for a lock synchronously, freezing the event loop (acks, probes) meanwhile: wait briefly
  // and let the caller's retry (the reconciler's backoff, the user's next click) try again.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  migrate(db, migrations, upTo);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, migrations: readonly Migration[], upTo = Number.POSITIVE_INFINITY): void {
  const current = schemaVersion(db);
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > upTo) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/**
 * Runs `fn` in an IMMEDIATE transaction committed with synchronous=FULL: for decisions that create or
 * destroy things, the commit is on disk before we act on it.
 */
export function durably<T>(db: Db, fn: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn).immediate();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
