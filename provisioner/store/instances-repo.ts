import type { Condition, DesiredState, Instance, InstancePhase } from '../domain/instance.ts';
import type { HostKey } from '../domain/ssh-access.ts';
import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

interface InstanceRow {
  id: string;
  name: string;
  owner_id: string;
  owner_email: string;
  image: string;
  cpu: number;
  memory_gib: number;
  disk_gib: number;
  login_user: string;
  desired: string;
  phase: string;
  conditions: string;
  node: string | null;
  ssh_host: string | null;
  ssh_port: number | null;
  ssh_jump: string | null;
  host_keys: string;
  created_at: string;
  ready_at: string | null;
  stopped_at: string | null;
  lease_ends_at: string;
  deleted_at: string | null;
  keep: number;
  notify_ref: string | null;
  snapshot_name: string | null;
  snapshot_expires_at: string | null;
  generation: number;
  last_active_at: string | null;
  idle_warned_at: string | null;
}

export interface StoredInstance extends Instance {
  lastActiveAt: string | null;
  idleWarnedAt: string | null;
}

/** What a new instance row must name; everything else starts empty (requested, not yet seen running). */
export type NewInstance = Pick<
  StoredInstance,
  | 'id'
  | 'name'
  | 'ownerId'
  | 'ownerEmail'
  | 'image'
  | 'cpu'
  | 'memoryGiB'
  | 'diskGiB'
  | 'loginUser'
  | 'createdAt'
  | 'leaseEndsAt'
> &
  Partial<StoredInstance>;

export const newInstanceRow = (fields: NewInstance): StoredInstance => ({
  desired: 'running',
  phase: 'requested',
  conditions: [],
  node: null,
  sshHost: null,
  sshPort: null,
  sshJump: null,
  hostKeys: [],
  readyAt: null,
  stoppedAt: null,
  deletedAt: null,
  keep: false,
  notifyRef: null,
  snapshotName: null,
  snapshotExpiresAt: null,
  generation: 1,
  lastActiveAt: null,
  idleWarnedAt: null,
  ...fields,
});

const fromRow = (row: InstanceRow): StoredInstance => ({
  id: row.id,
  name: row.name,
  ownerId: row.owner_id,
  ownerEmail: row.owner_email,
  image: row.image,
  cpu: row.cpu,
  memoryGiB: row.memory_gib,
  diskGiB: row.disk_gib,
  loginUser: row.login_user,
  desired: row.desired as DesiredState,
  phase: row.phase as InstancePhase,
  conditions: JSON.parse(row.conditions) as Condition[],
  node: row.node,
  sshHost: row.ssh_host,
  sshPort: row.ssh_port,
  sshJump: row.ssh_jump,
  hostKeys: JSON.parse(row.host_keys) as HostKey[],
  createdAt: row.created_at,
  readyAt: row.ready_at,
  stoppedAt: row.stopped_at,
  leaseEndsAt: row.lease_ends_at,
  deletedAt: row.deleted_at,
  keep: row.keep === 1,
  notifyRef: row.notify_ref,
  snapshotName: row.snapshot_name,
  snapshotExpiresAt: row.snapshot_expires_at,
  generation: row.generation,
  lastActiveAt: row.last_active_at,
  idleWarnedAt: row.idle_warned_at,
});

const COLUMNS: Record<keyof StoredInstance, string> = {
  id: 'id',
  name: 'name',
  ownerId: 'owner_id',
  ownerEmail: 'owner_email',
  image: 'image',
  cpu: 'cpu',
  memoryGiB: 'memory_gib',
  diskGiB: 'disk_gib',
  loginUser: 'login_user',
  desired: 'desired',
  phase: 'phase',
  conditions: 'conditions',
  node: 'node',
  sshHost: 'ssh_host',
  sshPort: 'ssh_port',
  sshJump: 'ssh_jump',
  hostKeys: 'host_keys',
  createdAt: 'created_at',
  readyAt: 'ready_at',
  stoppedAt: 'stopped_at',
  leaseEndsAt: 'lease_ends_at',
  deletedAt: 'deleted_at',
  keep: 'keep',
  notifyRef: 'notify_ref',
  snapshotName: 'snapshot_name',
  snapshotExpiresAt: 'snapshot_expires_at',
  generation: 'generation',
  lastActiveAt: 'last_active_at',
  idleWarnedAt: 'idle_warned_at',
};

const toColumnValue = (key: keyof StoredInstance, value: unknown): unknown => {
  if (key === 'conditions' || key === 'hostKeys') return JSON.stringify(value);
  if (key === 'keep') return value ? 1 : 0;
  return value;
};

/** A running instance as idle detection reads it (InstancesRepo.listRunning). */
export type RunningInstance = Pick<
  StoredInstance,
  | 'id'
  | 'name'
  | 'ownerId'
  | 'cpu'
  | 'node'
  | 'sshHost'
  | 'sshPort'
  | 'desired'
  | 'phase'
  | 'createdAt'
  | 'readyAt'
  | 'lastActiveAt'
  | 'idleWarnedAt'
>;

export type InstancePatch = Partial<Omit<StoredInstance, 'id'>>;

/** Instances: the desired state and what the reconciler last observed. */
export class InstancesRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  insert(instance: StoredInstance, now: string): void {
    const keys = Object.keys(COLUMNS) as (keyof StoredInstance)[];
    const columns = [...keys.map((k) => COLUMNS[k]), 'updated_at'];
    const values = [...keys.map((k) => toColumnValue(k, instance[k])), now];
    this.#sql
      .get(`INSERT INTO instances (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
      .run(...values);
  }

  /** Writes only the given fields; returns the updated row. */
  update(id: string, patch: InstancePatch, now: string): StoredInstance | undefined {
    const keys = (Object.keys(patch) as (keyof InstancePatch)[]).filter((k) => patch[k] !== undefined);
    if (keys.length > 0) {
      const sets = [...keys.map((k) => `${COLUMNS[k]} = ?`), 'updated_at = ?'];
      this.#sql
        .get(`UPDATE instances SET ${sets.join(', ')} WHERE id = ?`)
        .run(...keys.map((k) => toColumnValue(k, patch[k])), now, id);
    }
    return this.get(id);
  }

  get(id: string): StoredInstance | undefined {
    const row = this.#sql.get('SELECT * FROM instances WHERE id = ?').get(id) as InstanceRow | undefined;
    return row && fromRow(row);
  }

  /** The owner's live instance with that name (deleted ones keep their name free). */
  findByName(ownerId: string, name: string): StoredInstance | undefined {
    const row = this.#sql
      .get("SELECT * FROM instances WHERE owner_id = ? AND name = ? AND phase != 'deleted'")
      .get(ownerId, name) as InstanceRow | undefined;
    return row && fromRow(row);
  }

  /** Most recent instance of that name, deleted or not (for restore). */
  findLatestByName(ownerId: string, name: string): StoredInstance | undefined {
    const row = this.#sql
      .get('SELECT * FROM instances WHERE owner_id = ? AND name = ? ORDER BY created_at DESC LIMIT 1')
      .get(ownerId, name) as InstanceRow | undefined;
    return row && fromRow(row);
  }

  listByOwner(ownerId: string, { includeDeleted = false } = {}): StoredInstance[] {
    const sql = includeDeleted
      ? 'SELECT * FROM instances WHERE owner_id = ? ORDER BY created_at, id'
      : "SELECT * FROM instances WHERE owner_id = ? AND phase != 'deleted' ORDER BY created_at, id";
    return (this.#sql.get(sql).all(ownerId) as InstanceRow[]).map(fromRow);
  }

  /** Every instance that still exists in any form (incl. deleting ones and restorable snapshots). */
  listLive(): StoredInstance[] {
    return (
      this.#sql
        .get("SELECT * FROM instances WHERE phase != 'deleted' OR snapshot_name IS NOT NULL ORDER BY id")
        .all() as InstanceRow[]
    ).map(fromRow);
  }

  /**
   * Instances meant to run and seen running — the only ones idle detection looks at — with only the fields
   * it reads: at 10,000 instances full rows (conditions JSON and all) cost three times as much to read.
   */
  listRunning(): RunningInstance[] {
    return this.#sql
      .get(
        `SELECT id, name, owner_id AS ownerId, cpu, node, ssh_host AS sshHost, ssh_port AS sshPort, desired,
           phase, created_at AS createdAt, ready_at AS readyAt, last_active_at AS lastActiveAt,
           idle_warned_at AS idleWarnedAt
         FROM instances WHERE desired = 'running' AND phase = 'running' ORDER BY id`,
      )
      .all() as RunningInstance[];
  }

  /**
   * Instances meant to run that may not hold a node yet (no node recorded, or not seen running): the
   * candidates a capacity check places before a new one. Lean, because every create reads it inside its
   * transaction: the instances already running on a node, most of them at scale, are not read at all.
   */
  listPlacementCandidates(): { id: string; cpu: number; memoryGiB: number }[] {
    return this.#sql
      .get(
        `SELECT id, cpu, memory_gib AS memoryGiB FROM instances
         WHERE desired = 'running' AND (node IS NULL OR phase != 'running')`,
      )
      .all() as { id: string; cpu: number; memoryGiB: number }[];
  }

  /**
   * Records that instances were in use at `lastActiveAt` (restarting their idle clock, voiding any idle
   * warning): only where that is later than what is stored, and only while they are meant to run — a
   * compare-and-set, so an older sample never moves the clock back. Returns how many rows changed. The caller
   * wraps it in one transaction for the whole pass.
   */
  recordActivity(entries: readonly { id: string; lastActiveAt: string }[], now: string): number {
    const update = this.#sql.get(
      `UPDATE instances SET last_active_at = ?, idle_warned_at = NULL, updated_at = ?
       WHERE id = ? AND desired = 'running' AND (last_active_at IS NULL
         OR julianday(last_active_at) IS NULL OR julianday(last_active_at) < julianday(?))`,
    );
    let changed = 0;
    for (const e of entries) changed += update.run(e.lastActiveAt, now, e.id, e.lastActiveAt).changes;
    return changed;
  }

  listAll(): StoredInstance[] {
    return (this.#sql.get('SELECT * FROM instances ORDER BY id').all() as InstanceRow[]).map(fromRow);
  }

  /**
   * One page of the live (not deleted) instances matching the filters, in id order, and how many match:
   * the admin's list, filtered and paged in SQL (reading 10,000 full rows took over 300 ms).
   * `owner` matches part of the owner's email (or id when there is none), ignoring case.
   */
  search(
    f: { owner?: string; phase?: string; node?: string },
    page: { limit: number; offset: number },
  ): { items: StoredInstance[]; matching: number; live: number } {
    const where = `phase != 'deleted'
      AND (@owner IS NULL OR instr(lower(CASE WHEN owner_email != '' THEN owner_email ELSE owner_id END), lower(@owner)) > 0)
      AND (@phase IS NULL OR phase = @phase) AND (@node IS NULL OR node = @node)`;
    const args = { owner: f.owner || null, phase: f.phase || null, node: f.node || null };
    return {
      items: (
        this.#sql
          .get(`SELECT * FROM instances WHERE ${where} ORDER BY id LIMIT @limit OFFSET @offset`)
          .all({ ...args, ...page }) as InstanceRow[]
      ).map(fromRow),
      matching: (
        this.#sql.get(`SELECT count(*) AS n FROM instances WHERE ${where}`).get(args) as { n: number }
      ).n,
      live: (
        this.#sql.get("SELECT count(*) AS n FROM instances WHERE phase != 'deleted'").get() as { n: number }
      ).n,
    };
  }
}
