// What the web front end needs beyond the instance API: who a Google account is in TiSpace, browser
// sessions, and personal API tokens. Secrets (session cookies, API tokens) are random 256-bit values;
// only their SHA-256 is stored, so a copy of the database signs nobody in.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Quota } from './config/schema.ts';
import { webUserId } from './domain/web-user.ts';
import { fail, ok, type Result } from './errors.ts';
import type { ProvisionerApi } from './service/provisioner-api.ts';
import type { ApiToken } from './store/api-tokens-repo.ts';
import type { AuditEntry } from './store/audit-repo.ts';
import type { StoredInstance } from './store/instances-repo.ts';
import type { Store } from './store/store.ts';
import type { User } from './store/users-repo.ts';

export const API_SCOPES = ['machines:read', 'machines:write', 'keys:read', 'keys:write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface SessionPolicy {
  /** A session unused this long is over. */
  idleMs: number;
  /** A session is over this long after sign-in, used or not. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 8 * 3_600_000, absoluteMs: 7 * 86_400_000 };

export interface OpenSession {
  userId: string;
  csrf: string;
  expiresAt: string;
}

export interface AuditQuery {
  actor?: string;
  instance?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const secret = (): string => randomBytes(32).toString('base64url');

export class WebAccess {
  constructor(
    private readonly d: { store: Store; clock: Clock; api: ProvisionerApi; policy?: SessionPolicy },
  ) {}

  get policy(): SessionPolicy {
    return this.d.policy ?? DEFAULT_SESSION_POLICY;
  }

  /**
   * The TiSpace user of a verified Google account: the user already linked to it, else the (Slack) user
   * whose linked email it is, else a new web-only user. Signing in renews the link.
   */
  signIn(google: { sub: string; email: string }): Result<User> {
    const { users } = this.d.store;
    const existing = users.findByGoogleSub(google.sub) ?? users.findByEmail(google.email);
    if (existing?.deactivatedAt)
      return fail('Deactivated', 'your TiSpace account is deactivated (offboarded); ask an admin');
    const userId = existing?.userId ?? webUserId(google.sub);
    return ok(
      this.d.api.linkIdentity(
        { userId, teamId: existing?.teamId ?? '' },
        { googleSub: google.sub, email: google.email },
      ),
    );
  }

  /** A new session (a sign-in always gets a new one: the pre-sign-in cookie, if any, is never promoted). */
  openSession(userId: string): { token: string } & OpenSession {
    const now = this.d.clock.now();
    const token = secret();
    const csrf = secret();
    const expiresAt = new Date(now.getTime() + this.policy.absoluteMs).toISOString();
    this.d.store.webSessions.purge(new Date(now.getTime() - 86_400_000).toISOString());
    this.d.store.webSessions.insert({
      tokenHash: sha256(token),
      userId,
      csrf,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt,
    });
    return { token, userId, csrf, expiresAt };
  }

  /** The open session of a cookie value (and marks it used), or why there is none. */
  session(token: string | undefined): Result<OpenSession> {
    if (!token || token.length > 100) return fail('NotFound', 'not signed in');
    const hash = sha256(token);
    const s = this.d.store.webSessions.get(hash);
    const now = this.d.clock.now();
    if (!s) return fail('NotFound', 'not signed in');
    if (s.endedAt) return fail('InvalidState', 'you signed out; sign in again');
    if (
      Date.parse(s.expiresAt) <= now.getTime() ||
      Date.parse(s.lastSeenAt) + this.policy.idleMs <= now.getTime()
    )
      return fail('InvalidState', 'your session has expired; sign in again');
    this.d.store.webSessions.touch(hash, now.toISOString());
    return ok({ userId: s.userId, csrf: s.csrf, expiresAt: s.expiresAt });
  }

  endSession(token: string): void {
    this.d.store.webSessions.end(sha256(token), this.d.clock.now().toISOString());
  }

  /** Signs the user out of every browser. */
  endAllSessions(userId: string): number {
    return this.d.store.webSessions.endAll(userId, this.d.clock.now().toISOString());
  }

  // ---- personal API tokens ----------------------------------------------------------------------

  createToken(
    userId: string,
    t: { name: string; scopes: string[]; days: number },
  ): Result<{ token: string; info: ApiToken }> {
    const name = t.name.trim();
    if (!/^[\w .:-]{1,40}$/.test(name))
      return fail('InvalidInput', 'name: 1 to 40 letters, digits, spaces or . _ : -', 'name');
    const unknown = t.scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (t.scopes.length === 0 || unknown.length)
      return fail('InvalidInput', `scopes: choose one or more of ${API_SCOPES.join(', ')}`, 'scopes');
    if (!Number.isInteger(t.days) || t.days < 1 || t.days > 365)
      return fail(
        'InvalidInput',
        `expiry must be a whole number of days from 1 to 365; got ${t.days}`,
        'days',
      );
    const who = this.d.api.whoami({ userId });
    if (t.scopes.includes('admin') && !who.isAdmin)
      return fail('Forbidden', 'only admins can create tokens with the admin scope', 'scopes');
    const now = this.d.clock.now();
    const token = `tsp_${secret()}`;
    const info = this.d.store.apiTokens.insert({
      userId,
      name,
      tokenHash: sha256(token),
      scopes: [...new Set(t.scopes)],
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + t.days * 86_400_000).toISOString(),
    });
    this.d.store.audit.record({
      at: now.toISOString(),
      actor: userId,
      action: 'token-created',
      instanceId: null,
      reason: `API token "${name}" created`,
      details: { id: info.id, scopes: info.scopes, expiresAt: info.expiresAt },
    });
    return ok({ token, info });
  }

  listTokens(userId: string): ApiToken[] {
    return this.d.store.apiTokens.list(userId);
  }

  revokeToken(userId: string, id: number): Result<ApiToken> {
    const now = this.d.clock.now().toISOString();
    if (!this.d.store.apiTokens.revoke(userId, id, now))
      return fail('NotFound', `you have no active token ${id}`);
    this.d.store.audit.record({
      at: now,
      actor: userId,
      action: 'token-revoked',
      instanceId: null,
      reason: `API token ${id} revoked`,
      details: { id },
    });
    return ok(this.d.store.apiTokens.get(id)!);
  }

  /** The user and scopes of a bearer token, or why it is refused. */
  authenticateToken(token: string): Result<{ userId: string; scopes: string[]; tokenId: number }> {
    if (!token.startsWith('tsp_') || token.length > 100)
      return fail('NotFound', 'the API token is not valid');
    const found = this.d.store.apiTokens.byHash(sha256(token));
    const now = this.d.clock.now();
    if (!found) return fail('NotFound', 'the API token is not valid');
    if (found.revokedAt) return fail('InvalidState', 'the API token was revoked');
    if (Date.parse(found.expiresAt) <= now.getTime())
      return fail('InvalidState', 'the API token has expired');
    this.d.store.apiTokens.touch(found.id, now.toISOString());
    return ok({ userId: found.userId, scopes: found.scopes, tokenId: found.id });
  }

  // ---- machines: what the instance API does not list ------------------------------------------

  /** The user's deleted machines whose final snapshot can still be restored (newest per name). */
  restorable(userId: string): StoredInstance[] {
    const now = this.d.clock.now().getTime();
    const live = new Set(this.d.store.instances.listByOwner(userId).map((i) => i.name));
    const byName = new Map<string, StoredInstance>();
    for (const i of this.d.store.instances.listByOwner(userId, { includeDeleted: true }))
      if (
        i.phase === 'deleted' &&
        !live.has(i.name) &&
        i.snapshotName &&
        i.snapshotExpiresAt &&
        Date.parse(i.snapshotExpiresAt) > now
      )
        byName.set(i.name, i);
    return [...byName.values()];
  }

  /** The audit trail of one machine the actor may see (owner or admin). */
  history(actorId: string, ref: string): Result<AuditEntry[]> {
    const found = this.d.api.get({ userId: actorId }, ref);
    if (!found.ok) return found;
    return ok(this.d.store.audit.forInstance(found.value.id));
  }

  // ---- admin -------------------------------------------------------------------------------------

  /** Every user who ever signed in (linked), with their quota (admins only). */
  users(adminId: string): Result<(User & { quota: Quota })[]> {
    if (!this.d.api.whoami({ userId: adminId }).isAdmin)
      return fail('Forbidden', 'only admins can list users');
    return ok(
      this.d.store.users
        .listLinked()
        .map((u) => ({ ...u, quota: this.d.store.quotas.get(u.userId) ?? this.d.api.config.quota })),
    );
  }

  /** Admin: offboard a user (their machines stop, disks kept) or let them back in. */
  setActive(adminId: string, userId: string, active: boolean): Result<User> {
    if (!this.d.api.whoami({ userId: adminId }).isAdmin)
      return fail('Forbidden', 'only admins can deactivate users');
    if (userId === adminId) return fail('InvalidInput', 'you cannot deactivate yourself');
    const user = this.d.store.users.get(userId);
    if (!user) return fail('NotFound', `no user ${userId}`);
    if (active) {
      // Already active: nothing to do (the page's button may be stale).
      if (user.deactivatedAt) {
        const back = this.d.api.reactivate({ userId: adminId }, userId);
        if (!back.ok) return back;
      }
    } else {
      this.d.api.offboard(userId, `deactivated by admin ${adminId}`);
      this.endAllSessions(userId);
    }
    return ok(this.d.store.users.get(userId)!);
  }

  /** Audit entries matching every given filter, newest first (admins only). */
  searchAudit(actorId: string, q: AuditQuery): Result<AuditEntry[]> {
    if (!this.d.api.whoami({ userId: actorId }).isAdmin)
      return fail('Forbidden', 'only admins can read the audit log');
    const limit = Math.min(Math.max(q.limit ?? 200, 1), 1000);
    return ok(this.d.store.audit.search(q, limit));
  }

  /** Admin: one page of everyone's live machines matching the filters, and how many match. */
  machines(
    adminId: string,
    f: { owner?: string; phase?: string; node?: string },
    page: { limit: number; offset: number },
  ): Result<{ items: StoredInstance[]; matching: number; live: number }> {
    if (!this.d.api.whoami({ userId: adminId }).isAdmin)
      return fail('Forbidden', 'only admins can list everyone’s machines');
    return ok(this.d.store.instances.search(f, page));
  }
}
