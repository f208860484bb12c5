/**
 * Forward-only schema migrations. Never edit a released one: add the next. `user_version` records
 * how far a database has come; each migration runs in its own transaction.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'users, ssh keys, instances, quota overrides, reminders, audit log',
    sql: `
      CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        team_id TEXT NOT NULL DEFAULT '',
        google_sub TEXT,
        email TEXT,
        linked_at TEXT,
        link_expires_at TEXT,
        deactivated_at TEXT,
        deactivated_reason TEXT,
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX users_google_sub ON users(google_sub) WHERE google_sub IS NOT NULL;

      CREATE TABLE ssh_keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES users(user_id),
        fingerprint TEXT NOT NULL,
        type TEXT NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        public_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (user_id, fingerprint)
      );

      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        owner_email TEXT NOT NULL,
        image TEXT NOT NULL,
        cpu INTEGER NOT NULL,
        memory_gib INTEGER NOT NULL,
        disk_gib INTEGER NOT NULL,
        login_user TEXT NOT NULL,
        desired TEXT NOT NULL,
        phase TEXT NOT NULL,
        conditions TEXT NOT NULL DEFAULT '[]',
        node TEXT,
        ssh_host TEXT,
        ssh_port INTEGER,
        created_at TEXT NOT NULL,
        ready_at TEXT,
        stopped_at TEXT,
        lease_ends_at TEXT NOT NULL,
        deleted_at TEXT,
        keep INTEGER NOT NULL DEFAULT 0,
        notify_ref TEXT,
        snapshot_name TEXT,
        snapshot_expires_at TEXT,
        generation INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX instances_owner_name ON instances(owner_id, name) WHERE phase != 'deleted';
      CREATE INDEX instances_owner ON instances(owner_id);

      CREATE TABLE quota_overrides (
        user_id TEXT PRIMARY KEY,
        instances INTEGER NOT NULL,
        cpu INTEGER NOT NULL,
        memory_gib INTEGER NOT NULL,
        disk_gib INTEGER NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL
      );

      CREATE TABLE reminders (
        instance_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        due_key TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (instance_id, kind, due_key)
      );

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        instance_id TEXT,
        reason TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_instance ON audit(instance_id);
    `,
  },
  {
    version: 2,
    description: 'user time zones, idle tracking, Google sign-in states',
    sql: `
      ALTER TABLE users ADD COLUMN tz TEXT;
      ALTER TABLE instances ADD COLUMN last_active_at TEXT;
      ALTER TABLE instances ADD COLUMN idle_warned_at TEXT;
      CREATE TABLE oauth_states (
        state TEXT PRIMARY KEY,
        team_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        code_verifier TEXT NOT NULL,
        nonce TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      );
    `,
  },
  {
    version: 3,
    description: 'web sessions and personal API tokens (both stored as SHA-256 hashes)',
    sql: `
      CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE INDEX web_sessions_user ON web_sessions(user_id);
      CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE INDEX api_tokens_user ON api_tokens(user_id);
    `,
  },
  {
    version: 4,
    description: 'SSH through the gateway: the jump host and host keys of each machine, keys by fingerprint',
    sql: `
      ALTER TABLE instances ADD COLUMN ssh_jump TEXT;
      ALTER TABLE instances ADD COLUMN host_keys TEXT NOT NULL DEFAULT '[]';
      CREATE INDEX ssh_keys_fingerprint ON ssh_keys(fingerprint);
    `,
  },
];

export const LATEST_VERSION = migrations.at(-1)!.version;
