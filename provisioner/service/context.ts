import type { Logger } from 'pino';
import type { CapacitySource } from '../capacity-source.ts';
import type { Clock } from '../clock.ts';
import type { TiSpaceConfig } from '../config/schema.ts';
import { looksLikeInstanceId } from '../domain/names.ts';
import { fail, ok, type Result, UserErrorAbort } from '../errors.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { Store } from '../store/store.ts';
import type { User } from '../store/users-repo.ts';

// What every part of the provisioner's API shares: who is asking (requireUser), the audit record, and
// decisions made in one durable transaction (decide).

/** Who is asking: a Slack user (team + user id) or a web user. Admin rights come from the linked Google email. */
export interface Actor {
  userId: string;
  teamId?: string;
}

/** A machine named by its owner (a string: name, or id) or an explicit id (buttons, admin commands). */
export type InstanceRef = string | { id: string };

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
  /** Woken for every instance a decision changed. */
  reconciler: { queue: { add(id: string): void } };
}

export class ServiceContext {
  constructor(readonly d: ServiceDeps) {}

  get config(): TiSpaceConfig {
    return this.d.config;
  }

  get store(): Store {
    return this.d.store;
  }

  now(): Date {
    return this.d.clock.now();
  }

  whoami(actor: Actor): Whoami {
    const user = this.d.store.users.get(actor.userId);
    const linked = !!user?.googleSub;
    const linkExpired =
      linked && !!user?.linkExpiresAt && Date.parse(user.linkExpiresAt) <= this.now().getTime();
    return {
      user,
      linked: linked && !linkExpired,
      linkExpired,
      isAdmin: this.isAdmin(user) && linked && !linkExpired,
    };
  }

  isAdmin(user: User | undefined): boolean {
    const email = user?.email?.toLowerCase();
    return !!email && this.d.config.admins.some((a) => a.toLowerCase() === email);
  }

  /** The actor as a user who may act: linked, link current, not deactivated — or why not. */
  requireUser(actor: Actor): Result<{ user: User; isAdmin: boolean }> {
    const w = this.whoami(actor);
    if (w.user?.deactivatedAt) return fail('Deactivated', DEACTIVATED_MESSAGE);
    if (w.linkExpired)
      return fail('NotLinked', 'your Google account link has expired; run /tispace login to renew it');
    if (!w.linked || !w.user) return fail('NotLinked', 'link your Google account first: run /tispace login');
    return ok({ user: w.user, isAdmin: w.isAdmin });
  }

  audit(
    actor: string,
    action: string,
    instanceId: string | null,
    reason: string,
    details: Record<string, unknown>,
  ): void {
    this.d.store.audit.record({ at: this.now().toISOString(), actor, action, instanceId, reason, details });
  }

  /**
   * Runs a decision in one durable IMMEDIATE transaction: a UserErrorAbort thrown inside becomes a refusal
   * (errors as data, nothing written); on success the reconciler is woken for the instance.
   */
  decide<T extends { id: string }>(decision: () => T): Result<T> {
    try {
      const decided = this.d.store.durably(decision);
      this.wake(decided.id);
      return ok(decided);
    } catch (error) {
      if (error instanceof UserErrorAbort) return { ok: false, error: error.error };
      throw error;
    }
  }

  wake(id: string): void {
    this.d.reconciler.queue.add(id);
  }

  /**
   * `{ id }` (buttons, admin commands) resolves that id only; a string is the actor's own machine by name,
   * or, in the id shape (which no name may take), by id. Admins may reach any instance by id; others'
   * instances are "not found".
   */
  find(actor: Actor, ref: InstanceRef, isAdmin: boolean): Result<StoredInstance> {
    const { instances } = this.d.store;
    const id = typeof ref === 'string' ? undefined : ref.id;
    if (typeof ref === 'string') {
      const own = instances.findByName(actor.userId, ref);
      if (own) return ok(own);
    }
    const byId = id ?? (typeof ref === 'string' && looksLikeInstanceId(ref) ? ref : undefined);
    const found = byId === undefined ? undefined : instances.get(byId);
    if (found && found.phase !== 'deleted' && (found.ownerId === actor.userId || isAdmin)) return ok(found);
    if (id !== undefined) return fail('NotFound', `no instance with id "${id}" that you may act on`);
    const names = instances.listByOwner(actor.userId).map((i) => i.name);
    return fail(
      'NotFound',
      `you have no instance named "${ref as string}"; ${names.length ? `yours are: ${names.join(', ')}` : 'you have none — create one with /tispace create'}`,
    );
  }
}

/** What a deactivated user is told, wherever they try to act (Slack commands, the web and the API alike). */
export const DEACTIVATED_MESSAGE =
  'your account is deactivated (you left the company or were offboarded); ask an admin';
