import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, schemaVersion } from '../../../../provisioner/store/db.ts';
import { newInstanceRow } from '../../../../provisioner/store/instances-repo.ts';
import { LATEST_VERSION } from '../../../../provisioner/store/migrations.ts';
import { Store } from '../../../../provisioner/store/store.ts';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'tispace-store-')), 'tispace.db');

describe('store', () => {
  it('opens in WAL mode at the latest schema version', () => {
    const db = openDb({ path: dbPath() });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    db.close();
  });

  it('migrates a database made by the previous version without losing its rows', () => {
    const path = dbPath();
    const v1 = openDb({ path, upTo: 1 });
    expect(schemaVersion(v1)).toBe(1);
    v1.prepare(
      "INSERT INTO users (user_id, team_id, google_sub, email, created_at) VALUES ('U1', 'T1', 'sub-1', 'a@corp.com', '2026-01-01T00:00:00Z')",
    ).run();
    v1.prepare(
      `INSERT INTO instances (id, name, owner_id, owner_email, image, cpu, memory_gib, disk_gib, login_user, desired, phase,
        created_at, lease_ends_at, updated_at) VALUES ('web1-abcde', 'web1', 'U1', 'a@corp.com', 'ubuntu-22.04', 4, 16, 100, 'ubuntu',
        'running', 'running', '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z', '2026-01-01T00:00:00Z')`,
    ).run();
    v1.close();

    const store = Store.open(path);
    expect(schemaVersion(store.db)).toBe(LATEST_VERSION);
    const instance = store.instances.get('web1-abcde');
    expect(instance).toMatchObject({
      name: 'web1',
      cpu: 4,
      memoryGiB: 16,
      diskGiB: 100,
      lastActiveAt: null,
      idleWarnedAt: null,
    });
    expect(store.users.get('U1')).toMatchObject({ email: 'a@corp.com', tz: null });
    store.close();
  });

  it('claims a reminder exactly once, also across two connections to the same file', () => {
    const path = dbPath();
    const a = Store.open(path);
    const b = Store.open(path);
    expect(a.reminders.claim('i1', 'lease', '24h', 'now')).toBe(true);
    expect(b.reminders.claim('i1', 'lease', '24h', 'now')).toBe(false);
    expect(a.reminders.claim('i1', 'lease', '1h', 'now')).toBe(true);
    b.reminders.release('i1', 'lease', '24h');
    expect(b.reminders.claim('i1', 'lease', '24h', 'now')).toBe(true);
    a.close();
    b.close();
  });

  it('commits durably (synchronous=FULL) and returns to NORMAL afterwards', () => {
    const store = Store.open(dbPath());
    let inside: unknown;
    store.durably(() => {
      inside = store.db.pragma('synchronous', { simple: true });
    });
    expect(inside).toBe(2);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    store.close();
  });

  it('keeps live names unique per owner but frees the name of a deleted instance', () => {
    const store = Store.open(dbPath());
    const row = (id: string, phase: 'running' | 'deleted') =>
      newInstanceRow({
        id,
        name: 'web1',
        ownerId: 'U1',
        ownerEmail: 'a@corp.com',
        image: 'ubuntu-22.04',
        cpu: 1,
        memoryGiB: 1,
        diskGiB: 20,
        loginUser: 'ubuntu',
        desired: phase === 'deleted' ? 'deleted' : 'running',
        phase,
        createdAt: 'a',
        leaseEndsAt: 'b',
      });
    store.instances.insert(row('web1-aaaaa', 'deleted'), 'now');
    store.instances.insert(row('web1-bbbbb', 'running'), 'now');
    expect(() => store.instances.insert(row('web1-ccccc', 'running'), 'now')).toThrow(/UNIQUE/);
    expect(store.instances.findByName('U1', 'web1')?.id).toBe('web1-bbbbb');
    store.close();
  });
});
