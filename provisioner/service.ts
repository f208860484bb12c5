import type { Logger } from 'pino';
import { formatCpu, formatGiB, GiB, type NodeFree, place } from './capacity.ts';
import { CapacitySource } from './capacity-source.ts';
import type { Clock } from './clock.ts';
import type { ImageConfig, Quota, TiSpaceConfig } from './config/schema.ts';
import { type CreateRequest, resolveCreateRequest } from './domain/create-request.ts';
import { DURATION_HELP, formatDuration, parseDuration } from './domain/duration.ts';
import type { Instance } from './domain/instance.ts';
import { looksLikeInstanceId, newInstanceId } from './domain/names.ts';
import { parsePublicKey } from './domain/ssh-key.ts';
import { fail, ok, type Result, type UserError, UserErrorAbort } from './errors.ts';
import { mergeRefusal, mergeWebOnlyUser } from './identity-merge.ts';
import { quotaProblem, remaining, type Usage, usageOf } from './quota.ts';
import type { Reconciler } from './reconciler/reconciler.ts';
import { newInstanceRow, type StoredInstance } from './store/instances-repo.ts';
import type { SshKey } from './store/keys-repo.ts';
import type { Store } from './store/store.ts';
import type { User } from './store/users-repo.ts';

/** Who is asking: a Slack user (team + user id). Admin rights come from the linked Google email. */
/** A machine named by its owner (a string: name, or id) or an explicit id (buttons, admin commands). */
export type InstanceRef = string | { id: string };

export interface Actor {
  userId: string;
  teamId?: string;
}

export interface UsageReport {
  quota: Quota;
  used: Usage;
  left: Usage;
}

export interface Limits {
  /** The most one new instance may have right now: per-instance limits ∩ quota left ∩ largest free node. */
  maxCpu: number;
  maxMemoryGiB: number;
  maxDiskGiB: number;
  instancesLeft: number;
}

export interface Whoami {
  user: User | undefined;
  linked: boolean;
  linkExpired: boolean;
  isAdmin: boolean;
}

export interface ServiceDeps {
  config: TiSpaceConfig;
  store: Store;
  clock: Clock;
  log: Logger;
  capacity: CapacitySource;
  reconciler: Pick<Reconciler, 'queue'>;
}

/** Checks and records of a policy action (see stopForPolicy), run inside its transaction. */
export interface PolicyGuard {
  /** Why the action no longer applies to the instance as it is now, or undefined to go ahead. */
  refuse?: (i: StoredInstance) => string | undefined;
  /** Runs in the same transaction (on the same store) after the change, e.g. to record that a notice is owed. */
  also?: (i: StoredInstance, store: Store) => void;
  /** Extra audit details. */
  details?: Record<string, unknown>;
}

/**
 * The provisioner's API: the only surface a front end uses. Every call authorizes the actor, and every
 * refusal is a UserError naming what was wrong and what is allowed.
 */
export class ProvisionerService {
  constructor(private readonly d: ServiceDeps) {}

  get config(): TiSpaceConfig {
    return this.d.config;
  }

  // ---- identity -------------------------------------------------------------------------------

  whoami(actor: Actor): Whoami {
    const user = this.d.store.users.get(actor.userId);
    const linked = !!user?.googleSub;
    const linkExpired =
      linked && !!user?.linkExpiresAt && Date.parse(user.linkExpiresAt) <= this.#now().getTime();
    return {
      user,
      linked: linked && !linkExpired,
      linkExpired,
      isAdmin: this.#isAdmin(user) && linked && !linkExpired,
    };
  }

  linkIdentity(actor: Actor, link: { googleSub: string; email: string }): User {
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + this.d.config.identity.linkTtl).toISOString();
    this.d.store.durably(() => {
      // A web-only user of this Google account (signed in on the web first) becomes this user.
      const merged = mergeWebOnlyUser(this.d.store, actor.userId, link.googleSub, now.toISOString());
      if (merged)
        this.#audit(actor.userId, 'identity-merged', null, 'web-only user merged on linking', merged);
      this.d.store.users.link(actor.userId, {
        teamId: actor.teamId ?? '',
        googleSub: link.googleSub,
        email: link.email,
        linkedAt: now.toISOString(),
        expiresAt,
      });
      this.#audit(actor.userId, 'identity-linked', null, 'Google account linked', { email: link.email });
    });
    return this.d.store.users.get(actor.userId)!;
  }

  /** Why linking this Google account must be refused now (see identity-merge.ts), if it must. */
  linkRefusal(actor: Actor, googleSub: string): UserError | undefined {
    return mergeRefusal(this.d.store, actor.userId, googleSub);
  }

  unlinkIdentity(actor: Actor): void {
    this.d.store.durably(() => {
      this.d.store.users.unlink(actor.userId);
      this.#audit(actor.userId, 'identity-unlinked', null, 'unlinked by the user', {});
    });
  }

  /** Remembers a Google sign-in in progress (single use, expires after `ttlMs`). */
  saveSignInState(
    actor: Actor,
    s: { state: string; codeVerifier: string; nonce: string; ttlMs: number },
  ): void {
    const now = this.#now();
    this.d.store.oauthStates.purgeExpired(now.toISOString());
    this.d.store.oauthStates.put({
      state: s.state,
      teamId: actor.teamId ?? '',
      userId: actor.userId,
      codeVerifier: s.codeVerifier,
      nonce: s.nonce,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + s.ttlMs).toISOString(),
    });
  }

  /** Takes a sign-in state exactly once; a used, expired or unknown state is refused with why. */
  takeSignInState(
    state: string,
  ): Result<{ teamId: string; userId: string; codeVerifier: string; nonce: string }> {
    const now = this.#now().toISOString();
    const found = this.d.store.oauthStates.get(state);
    if (!found) return fail('NotFound', 'this sign-in link is not valid; run /tispace login again');
    if (found.usedAt)
      return fail('InvalidState', 'this sign-in link was already used; run /tispace login again');
    if (found.expiresAt <= now)
      return fail(
        'InvalidState',
        'this sign-in link has expired (links last 10 minutes); run /tispace login again',
      );
    if (!this.d.store.oauthStates.consume(state, now))
      return fail('InvalidState', 'this sign-in link was already used; run /tispace login again');
    return ok({
      teamId: found.teamId,
      userId: found.userId,
      codeVerifier: found.codeVerifier,
      nonce: found.nonce,
    });
  }

  /** Peeks at a state without using it (to show whose sign-in it is). */
  peekSignInState(state: string): { teamId: string; userId: string } | undefined {
    const found = this.d.store.oauthStates.get(state);
    return found && !found.usedAt && found.expiresAt > this.#now().toISOString()
      ? { teamId: found.teamId, userId: found.userId }
      : undefined;
  }

  /** Admins' Slack user ids (linked users whose Google email is in the admin list). */
  adminUserIds(): string[] {
    return this.d.store.users
      .listLinked()
      .filter((u) => this.#isAdmin(u))
      .map((u) => u.userId);
  }

  setTimeZone(userId: string, tz: string): void {
    this.d.store.users.setTimeZone(userId, tz);
  }

  /** The user left the company: stop their machines (disks kept) and block new requests. */
  offboard(userId: string, reason: string): StoredInstance[] {
    const now = this.#now().toISOString();
    const stopped = this.d.store.durably(() => {
      this.d.store.users.deactivate(userId, reason, now);
      const running = this.d.store.instances.listByOwner(userId).filter((i) => i.desired === 'running');
      for (const i of running) {
        this.d.store.instances.update(i.id, { desired: 'stopped' }, now);
        this.#audit('system', 'stop', i.id, `owner offboarded: ${reason}`, {});
      }
      return running;
    });
    for (const i of stopped) this.d.reconciler.queue.add(i.id);
    return stopped;
  }

  // ---- catalog, quota, capacity ----------------------------------------------------------------

  images(): readonly ImageConfig[] {
    return this.d.config.images;
  }

  sizes(): Readonly<Record<string, { cpu: number; memoryGiB: number }>> {
    return this.d.config.sizes;
  }

  usage(actor: Actor, of?: string): Result<UsageReport> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const target = of ?? actor.userId;
    if (target !== actor.userId && !who.value.isAdmin)
      return fail('Forbidden', 'only admins can see other users’ usage');
    return ok(this.#usageReport(target));
  }

  /** What the create form may offer this user now. */
  async limits(actor: Actor): Promise<Result<Limits>> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const { left } = this.#usageReport(actor.userId);
    const overhead = await this.d.capacity.overhead();
    const largest = this.#placement({ cpu: 0, memoryGiB: 0 }, overhead).largest;
    const { maxCpu, maxMemoryGiB, maxDiskGiB } = this.d.config.limits;
    const nodeCpu = largest ? Math.floor((largest.cpuMilli - overhead.cpuMilli) / 1000) : 0;
    const nodeMem = largest ? Math.floor((largest.memoryBytes - overhead.memoryBytes) / GiB) : 0;
    return ok({
      maxCpu: Math.max(0, Math.min(maxCpu, left.cpu, nodeCpu)),
      maxMemoryGiB: Math.max(0, Math.min(maxMemoryGiB, left.memoryGiB, nodeMem)),
      maxDiskGiB: Math.max(0, Math.min(maxDiskGiB, left.diskGiB)),
      instancesLeft: left.instances,
    });
  }

  capacity(actor: Actor): Result<NodeFree[]> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    if (!who.value.isAdmin) return fail('Forbidden', 'only admins can see cluster capacity');
    return ok(this.d.capacity.free());
  }

  setQuota(actor: Actor, userId: string, change: Partial<Quota>): Result<Quota> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    if (!who.value.isAdmin) return fail('Forbidden', 'only admins can change quotas');
    for (const [k, v] of Object.entries(change))
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 10_000)
        return fail('InvalidInput', `${k} must be a whole number from 0 to 10000; got ${v}`, k);
    const quota = { ...this.#quotaOf(userId), ...change };
    this.d.store.durably(() => {
      this.d.store.quotas.set(userId, quota, actor.userId, this.#now().toISOString());
      this.#audit(actor.userId, 'set-quota', null, `quota of ${userId} set`, { userId, quota });
    });
    return ok(quota);
  }

  // ---- keys -----------------------------------------------------------------------------------

  addKey(actor: Actor, text: string): Result<SshKey> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const parsed = parsePublicKey(text);
    if (!parsed.ok) return fail('InvalidInput', parsed.message, 'key');
    if (this.d.store.keys.list(actor.userId).length >= 20)
      return fail('InvalidInput', 'you have 20 keys, the most allowed; remove one first', 'key');
    const added = this.d.store.keys.add({
      userId: actor.userId,
      ...parsed.key,
      createdAt: this.#now().toISOString(),
    });
    if (!added) return fail('Conflict', `that key (${parsed.key.fingerprint}) is already registered`, 'key');
    this.#audit(actor.userId, 'key-added', null, 'SSH key added', { fingerprint: added.fingerprint });
    this.#touchOwnerInstances(actor.userId);
    return ok(added);
  }

  listKeys(actor: Actor): Result<SshKey[]> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    return ok(this.d.store.keys.list(actor.userId));
  }

  removeKey(actor: Actor, keyRef: string): Result<SshKey> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const keys = this.d.store.keys.list(actor.userId);
    const key = keys.find(
      (k) => String(k.id) === keyRef || k.fingerprint === keyRef || (k.comment && k.comment === keyRef),
    );
    if (!key)
      return fail(
        'NotFound',
        `no key "${keyRef}"; your keys are: ${keys.map((k) => `${k.id} (${k.comment || k.fingerprint})`).join(', ') || 'none'}`,
        'key',
      );
    this.d.store.keys.remove(actor.userId, key.id);
    this.#audit(actor.userId, 'key-removed', null, 'SSH key removed', { fingerprint: key.fingerprint });
    this.#touchOwnerInstances(actor.userId);
    return ok(key);
  }

  // ---- instances ------------------------------------------------------------------------------

  async create(
    actor: Actor,
    request: CreateRequest,
    options: { notifyRef?: string } = {},
  ): Promise<Result<Instance>> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const resolved = resolveCreateRequest(this.d.config, request);
    if (!resolved.ok) {
      const first = resolved.problems[0]!;
      return {
        ok: false,
        error: {
          code: 'InvalidInput',
          message: resolved.problems.map((p) => p.message).join('; '),
          field: first.field,
        },
      };
    }
    const { spec, image, leaseMs, name } = resolved.value;
    const overhead = await this.d.capacity.overhead();
    const now = this.#now();
    return this.#decide(() => {
      // Checked and reserved in one IMMEDIATE transaction: concurrent creates cannot overshoot.
      if (this.d.store.instances.findByName(actor.userId, name))
        throw new UserErrorAbort({
          code: 'Conflict',
          message: `you already have an instance named "${name}"; pick another name`,
          field: 'name',
        });
      const report = this.#usageReport(actor.userId);
      const problem = quotaProblem(report.quota, report.used, spec);
      if (problem) throw new UserErrorAbort({ code: 'QuotaExceeded', ...problem });
      const capacityProblem = this.#capacityProblem(spec, overhead);
      if (capacityProblem)
        throw new UserErrorAbort({ code: 'NoCapacity', message: capacityProblem, field: 'cpu' });
      const row = newInstanceRow({
        id: newInstanceId(name),
        name,
        ownerId: actor.userId,
        ownerEmail: who.value.user.email ?? '',
        ...spec,
        loginUser: image.loginUser,
        createdAt: now.toISOString(),
        leaseEndsAt: new Date(now.getTime() + leaseMs).toISOString(),
        notifyRef: options.notifyRef ?? null,
        lastActiveAt: now.toISOString(),
      });
      this.d.store.instances.insert(row, now.toISOString());
      this.#audit(actor.userId, 'create', row.id, 'requested by the owner', {
        spec,
        lease: formatDuration(leaseMs),
      });
      return row;
    });
  }

  list(actor: Actor, options: { all?: boolean } = {}): Result<StoredInstance[]> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    if (options.all) {
      if (!who.value.isAdmin) return fail('Forbidden', 'only admins can list everyone’s instances');
      return ok(this.d.store.instances.listAll().filter((i) => i.phase !== 'deleted'));
    }
    return ok(this.d.store.instances.listByOwner(actor.userId));
  }

  get(actor: Actor, ref: InstanceRef): Result<StoredInstance> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    return this.#find(actor, ref, who.value.isAdmin);
  }

  setNotifyRef(actor: Actor, ref: InstanceRef, notifyRef: string): Result<StoredInstance> {
    const found = this.get(actor, ref);
    if (!found.ok) return found;
    return ok(this.d.store.instances.update(found.value.id, { notifyRef }, this.#now().toISOString())!);
  }

  stop(actor: Actor, ref: InstanceRef, reason = 'stopped by the owner'): Result<StoredInstance> {
    return this.#transition(
      actor,
      ref,
      'stop',
      (i) => {
        if (i.desired === 'deleted') return `${i.name} is being deleted`;
        if (i.desired === 'stopped')
          return `${i.name} is already ${i.phase === 'stopped' ? 'stopped' : 'stopping'}`;
        return undefined;
      },
      () => ({ desired: 'stopped' as const }),
      reason,
    );
  }

  async start(actor: Actor, ref: InstanceRef): Promise<Result<StoredInstance>> {
    const overhead = await this.d.capacity.overhead();
    return this.#transition(
      actor,
      ref,
      'start',
      (i) => {
        if (i.desired === 'deleted') return `${i.name} is being deleted; use restore after it is gone`;
        if (i.desired === 'running' && i.phase !== 'failed')
          return `${i.name} is already ${i.phase === 'running' ? 'running' : 'starting'}`;
        const report = this.#usageReport(i.ownerId);
        // It no longer counts as running while stopped: check its CPU and memory again.
        const problem =
          i.desired === 'stopped'
            ? quotaProblem(report.quota, { ...report.used, instances: 0, diskGiB: 0 }, { ...i, diskGiB: 0 })
            : undefined;
        if (problem) return problem.message;
        return i.desired === 'stopped' ? this.#capacityProblem(i, overhead) : undefined;
      },
      (i) => {
        // Starting a machine whose lease ran out is a clear wish to use it: it gets a fresh default lease
        // (otherwise the expiry job would stop it again within a minute).
        const now = this.#now().getTime();
        const expired = Date.parse(i.leaseEndsAt) <= now;
        return {
          desired: 'running' as const,
          phase: i.phase === 'failed' ? ('requested' as const) : i.phase,
          conditions: [],
          // Running again: the stop that retention counts from is over.
          stoppedAt: null,
          ...(expired
            ? { leaseEndsAt: new Date(now + this.d.config.policy.defaultLease).toISOString() }
            : {}),
        };
      },
      'started by the owner',
    );
  }

  extend(actor: Actor, ref: InstanceRef, by?: string | number): Result<StoredInstance> {
    const { defaultLease, maxLease } = this.d.config.policy;
    const ms = by === undefined ? defaultLease : typeof by === 'number' ? by : parseDuration(by);
    if (ms === undefined || ms <= 0)
      return fail('InvalidInput', `"${by}" is not a duration; use ${DURATION_HELP}`, 'lease');
    const now = this.#now().getTime();
    return this.#transition(
      actor,
      ref,
      'extend',
      (i) => {
        if (i.desired === 'deleted') return `${i.name} is being deleted`;
        const target = Math.max(Date.parse(i.leaseEndsAt), now) + ms;
        if (target > now + maxLease)
          return `a lease can reach at most ${formatDuration(maxLease)} from now (until ${new Date(now + maxLease).toISOString().slice(0, 16).replace('T', ' ')} UTC); ${i.name}'s lease ends ${i.leaseEndsAt.slice(0, 16).replace('T', ' ')} UTC`;
        return undefined;
      },
      (i) => ({ leaseEndsAt: new Date(Math.max(Date.parse(i.leaseEndsAt), now) + ms).toISOString() }),
      `lease extended by ${formatDuration(ms)}`,
    );
  }

  delete(actor: Actor, ref: InstanceRef, reason = 'deleted by the owner'): Result<StoredInstance> {
    return this.#transition(
      actor,
      ref,
      'delete',
      (i) => (i.desired === 'deleted' ? `${i.name} is already being deleted` : undefined),
      () => ({ desired: 'deleted' as const, phase: 'deleting' as const }),
      reason,
    );
  }

  /** Brings a deleted instance back from its final snapshot, within the grace period. */
  async restore(actor: Actor, name: string): Promise<Result<StoredInstance>> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const overhead = await this.d.capacity.overhead();
    const now = this.#now();
    return this.#decide(() => {
      const live = this.d.store.instances.findByName(actor.userId, name);
      if (live)
        throw new UserErrorAbort({
          code: 'InvalidState',
          message: `${name} is not deleted (it is ${live.phase}); nothing to restore`,
        });
      const gone = this.d.store.instances.findLatestByName(actor.userId, name);
      if (
        !gone?.snapshotName ||
        !gone.snapshotExpiresAt ||
        Date.parse(gone.snapshotExpiresAt) <= now.getTime()
      )
        throw new UserErrorAbort({
          code: 'NotFound',
          message: `no restorable snapshot of "${name}"; deleted machines can be restored for ${formatDuration(this.d.config.policy.snapshotGrace)} after deletion`,
        });
      const report = this.#usageReport(actor.userId);
      // Its snapshot is counted already; restored, it becomes the disk instead.
      const used = { ...report.used, diskGiB: report.used.diskGiB - gone.diskGiB };
      const problem = quotaProblem(report.quota, used, gone);
      if (problem) throw new UserErrorAbort({ code: 'QuotaExceeded', ...problem });
      const capacityProblem = this.#capacityProblem(gone, overhead);
      if (capacityProblem) throw new UserErrorAbort({ code: 'NoCapacity', message: capacityProblem });
      const updated = this.d.store.instances.update(
        gone.id,
        {
          desired: 'running',
          phase: 'requested',
          deletedAt: null,
          generation: gone.generation + 1,
          conditions: [],
          readyAt: null,
          // A new life: nothing of the previous one's stop or restore window carries over. The snapshot
          // stays (the disk is cloned from it) until the reconciler sees the clone bound.
          stoppedAt: null,
          snapshotExpiresAt: null,
          leaseEndsAt: new Date(now.getTime() + this.d.config.policy.defaultLease).toISOString(),
        },
        now.toISOString(),
      )!;
      this.#audit(actor.userId, 'restore', gone.id, `restored from ${gone.snapshotName}`, {});
      return updated;
    });
  }

  /** The owner says the machine is in use ("I'm still using it"): resets idle detection. */
  markActive(actor: Actor, ref: InstanceRef): Result<StoredInstance> {
    const now = this.#now().toISOString();
    return this.#transition(
      actor,
      ref,
      'mark-active',
      (i) => (i.desired === 'deleted' ? `${i.name} is being deleted` : undefined),
      () => ({ lastActiveAt: now, idleWarnedAt: null }),
      'marked as in use',
    );
  }

  /** Admin: exempt an instance from retention deletion (or lift the exemption). */
  keep(actor: Actor, ref: InstanceRef, keep: boolean): Result<StoredInstance> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    if (!who.value.isAdmin) return fail('Forbidden', 'only admins can exempt instances from retention');
    return this.#transition(
      actor,
      ref,
      keep ? 'keep' : 'unkeep',
      () => undefined,
      () => ({ keep }),
      keep ? 'exempted from retention' : 'exemption lifted',
    );
  }

  // ---- policy actions of the scheduled jobs (actor 'system') ------------------------------------

  /**
   * Stops an instance because a policy says so (lease ended, idle). Audited with actor 'system' and the
   * reason. `guard.refuse` re-checks the instance inside the transaction (a run that lost a race does
   * nothing); `guard.also` runs in the same transaction (the jobs record what they did there).
   */
  stopForPolicy(id: string, reason: string, guard: PolicyGuard = {}): Result<StoredInstance> {
    return this.#systemTransition(
      id,
      'stop',
      reason,
      guard,
      (i) => (i.desired === 'running' ? undefined : `${i.name} is not running (desired ${i.desired})`),
      () => ({ desired: 'stopped' as const }),
    );
  }

  /** Deletes an instance by policy (retention); the reconciler snapshots the disk before it goes. */
  deleteForPolicy(id: string, reason: string, guard: PolicyGuard = {}): Result<StoredInstance> {
    return this.#systemTransition(
      id,
      'delete',
      reason,
      guard,
      (i) => (i.desired === 'deleted' ? `${i.name} is already being deleted` : undefined),
      () => ({ desired: 'deleted' as const, phase: 'deleting' as const }),
    );
  }

  #systemTransition(
    id: string,
    action: string,
    reason: string,
    guard: PolicyGuard,
    refuse: (i: StoredInstance) => string | undefined,
    patch: (i: StoredInstance) => Partial<StoredInstance>,
  ): Result<StoredInstance> {
    const now = this.#now().toISOString();
    return this.#decide(() => {
      const found = this.d.store.instances.get(id);
      if (!found || found.phase === 'deleted')
        throw new UserErrorAbort({ code: 'NotFound', message: `no live instance ${id}` });
      const why = refuse(found) ?? guard.refuse?.(found);
      if (why) throw new UserErrorAbort({ code: 'InvalidState', message: why });
      const next = this.d.store.instances.update(id, patch(found), now)!;
      this.#audit('system', action, id, reason, { policy: true, ...guard.details });
      guard.also?.(next, this.d.store);
      return next;
    });
  }

  /**
   * Runs a decision in one durable IMMEDIATE transaction: a UserErrorAbort thrown inside becomes a refusal
   * (errors as data, nothing written); on success the reconciler is woken for the instance.
   */
  #decide<T extends { id: string }>(decision: () => T): Result<T> {
    try {
      const decided = this.d.store.durably(decision);
      this.d.reconciler.queue.add(decided.id);
      return ok(decided);
    } catch (error) {
      if (error instanceof UserErrorAbort) return { ok: false, error: error.error };
      throw error;
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  #transition(
    actor: Actor,
    ref: InstanceRef,
    action: string,
    refuse: (i: StoredInstance) => string | undefined,
    patch: (i: StoredInstance) => Partial<StoredInstance>,
    reason: string,
  ): Result<StoredInstance> {
    const who = this.#requireUser(actor);
    if (!who.ok) return who;
    const now = this.#now().toISOString();
    return this.#decide(() => {
      const found = this.#find(actor, ref, who.value.isAdmin);
      if (!found.ok) throw new UserErrorAbort(found.error);
      const why = refuse(found.value);
      if (why) throw new UserErrorAbort({ code: 'InvalidState', message: why });
      const next = this.d.store.instances.update(found.value.id, patch(found.value), now)!;
      this.#audit(
        actor.userId,
        action,
        found.value.id,
        found.value.ownerId === actor.userId ? reason : `${reason} (admin ${actor.userId})`,
        {},
      );
      return next;
    });
  }

  /**
   * `{ id }` (buttons, admin commands) resolves that id only; a string is the actor's own machine by name,
   * or, in the id shape (which no name may take), by id. Admins may reach any instance by id; others'
   * instances are "not found".
   */
  #find(actor: Actor, ref: InstanceRef, isAdmin: boolean): Result<StoredInstance> {
    const id = typeof ref === 'string' ? undefined : ref.id;
    if (typeof ref === 'string') {
      const own = this.d.store.instances.findByName(actor.userId, ref);
      if (own) return ok(own);
    }
    const byId = id ?? (typeof ref === 'string' && looksLikeInstanceId(ref) ? ref : undefined);
    const found = byId === undefined ? undefined : this.d.store.instances.get(byId);
    if (found && found.phase !== 'deleted' && (found.ownerId === actor.userId || isAdmin)) return ok(found);
    if (id !== undefined) return fail('NotFound', `no instance with id "${id}" that you may act on`);
    ref = ref as string;
    const names = this.d.store.instances.listByOwner(actor.userId).map((i) => i.name);
    return fail(
      'NotFound',
      `you have no instance named "${ref}"; ${names.length ? `yours are: ${names.join(', ')}` : 'you have none — create one with /tispace create'}`,
    );
  }

  #requireUser(actor: Actor): Result<{ user: User; isAdmin: boolean }> {
    const w = this.whoami(actor);
    if (w.user?.deactivatedAt)
      return fail(
        'Deactivated',
        'your account is deactivated (you left the company or were offboarded); ask an admin',
      );
    if (w.linkExpired)
      return fail('NotLinked', 'your Google account link has expired; run /tispace login to renew it');
    if (!w.linked || !w.user) return fail('NotLinked', 'link your Google account first: run /tispace login');
    return ok({ user: w.user, isAdmin: w.isAdmin });
  }

  #isAdmin(user: User | undefined): boolean {
    const email = user?.email?.toLowerCase();
    return !!email && this.d.config.admins.some((a) => a.toLowerCase() === email);
  }

  #quotaOf(userId: string): Quota {
    return this.d.store.quotas.get(userId) ?? this.d.config.quota;
  }

  /** Stopped instances keep their disk and their slot, but not their CPU and memory. */
  #usageReport(userId: string): UsageReport {
    const mine = this.d.store.instances.listByOwner(userId);
    const all = usageOf(mine);
    const running = usageOf(mine.filter((i) => i.desired === 'running'));
    // A deleted machine's final snapshot, held for the grace period, still holds its disk's data: it
    // counts against the disk quota, or create–fill–delete could be repeated without limit.
    const held = usageOf(
      this.d.store.instances
        .listByOwner(userId, { includeDeleted: true })
        .filter((i) => i.phase === 'deleted' && i.snapshotName !== null),
    );
    const used = {
      instances: all.instances,
      diskGiB: all.diskGiB + held.diskGiB,
      cpu: running.cpu,
      memoryGiB: running.memoryGiB,
    };
    const quota = this.#quotaOf(userId);
    return { quota, used, left: remaining(quota, used) };
  }

  #placement(
    spec: { cpu: number; memoryGiB: number },
    overhead: { cpuMilli: number; memoryBytes: number },
    free = this.d.capacity.free(),
  ) {
    const bound = this.d.capacity.boundInstanceIds();
    const pending = this.d.store.instances
      .listPlacementCandidates()
      .filter((i) => !bound.has(i.id))
      .map((i) => CapacitySource.requestOf(i, overhead));
    return place(free, pending, CapacitySource.requestOf(spec, overhead));
  }

  #capacityProblem(
    spec: { cpu: number; memoryGiB: number },
    overhead: { cpuMilli: number; memoryBytes: number },
  ): string | undefined {
    const free = this.d.capacity.free();
    if (free.length === 0)
      return 'no development node is available right now; try again later or ask an admin';
    // free() walks every Pod in the cache: computed once per decision.
    const result = this.#placement(spec, overhead, free);
    if (result.fits) return undefined;
    const biggest = [...free].sort((a, b) => b.allocatable.cpuMilli - a.allocatable.cpuMilli)[0]!;
    const need = CapacitySource.requestOf(spec, overhead);
    if (need.cpuMilli > biggest.allocatable.cpuMilli || need.memoryBytes > biggest.allocatable.memoryBytes)
      return `${spec.cpu} CPUs and ${spec.memoryGiB} GiB is larger than any development node (the largest has ${formatCpu(biggest.allocatable.cpuMilli - overhead.cpuMilli)} CPUs and ${formatGiB(biggest.allocatable.memoryBytes - overhead.memoryBytes)} GiB for an instance)`;
    const l = result.largest!;
    return `no single node has room for ${spec.cpu} CPUs and ${spec.memoryGiB} GiB right now; the largest free slot is ${formatCpu(l.cpuMilli - overhead.cpuMilli)} CPUs and ${formatGiB(l.memoryBytes - overhead.memoryBytes)} GiB (on ${l.node}), ${formatCpu(result.totalFree.cpuMilli)} CPUs free in total. Choose a smaller size or try later`;
  }

  #touchOwnerInstances(userId: string): void {
    for (const i of this.d.store.instances.listByOwner(userId))
      if (i.desired !== 'deleted') this.d.reconciler.queue.add(i.id);
  }

  #audit(
    actor: string,
    action: string,
    instanceId: string | null,
    reason: string,
    details: Record<string, unknown>,
  ): void {
    this.d.store.audit.record({ at: this.#now().toISOString(), actor, action, instanceId, reason, details });
  }

  #now(): Date {
    return this.d.clock.now();
  }
}
