import { SIGN_IN_LIFETIME, type SignInResult } from '../domain/sign-in.ts';
import { fail, ok, type Result, type UserError } from '../errors.ts';
import { mergeRefusal, mergeWebOnlyUser } from '../identity-merge.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import type { User } from '../store/users-repo.ts';
import type { Actor, ServiceContext } from './context.ts';
import { offboardUser, reactivateUser } from './offboard.ts';

const AGAIN = 'run /tispace login again';

/** Who the actor is, their Google link, sign-in states in progress, and offboarding. */
export function identityApi(ctx: ServiceContext) {
  const { store } = ctx;
  return {
    whoami: (actor: Actor) => ctx.whoami(actor),

    linkIdentity(actor: Actor, link: { googleSub: string; email: string }): User {
      const now = ctx.now();
      const expiresAt = new Date(now.getTime() + ctx.config.identity.linkTtl).toISOString();
      store.durably(() => {
        // A web-only user of this Google account (signed in on the web first) becomes this user.
        const merged = mergeWebOnlyUser(store, actor.userId, link.googleSub, now.toISOString());
        if (merged)
          ctx.audit(actor.userId, 'identity-merged', null, 'web-only user merged on linking', merged);
        store.users.link(actor.userId, {
          teamId: actor.teamId ?? '',
          googleSub: link.googleSub,
          email: link.email,
          linkedAt: now.toISOString(),
          expiresAt,
        });
        ctx.audit(actor.userId, 'identity-linked', null, 'Google account linked', { email: link.email });
      });
      return store.users.get(actor.userId)!;
    },

    /** Why linking this Google account must be refused now (see identity-merge.ts), if it must. */
    linkRefusal(actor: Actor, googleSub: string): UserError | undefined {
      return mergeRefusal(store, actor.userId, googleSub);
    },

    unlinkIdentity(actor: Actor): void {
      store.durably(() => {
        store.users.unlink(actor.userId);
        ctx.audit(actor.userId, 'identity-unlinked', null, 'unlinked by the user', {});
      });
    },

    /** Remembers a Google sign-in in progress (single use, expires after `ttlMs`); refused if `state` is taken. */
    saveSignInState(
      actor: Actor,
      s: { state: string; codeVerifier: string; nonce: string; ttlMs: number },
    ): SignInResult<void> {
      const now = ctx.now();
      store.oauthStates.purgeExpired(now.toISOString());
      const saved = store.oauthStates.put({
        state: s.state,
        teamId: actor.teamId ?? '',
        userId: actor.userId,
        codeVerifier: s.codeVerifier,
        nonce: s.nonce,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + s.ttlMs).toISOString(),
      });
      return saved
        ? { ok: true, value: undefined }
        : { ok: false, refusal: 'Used', message: `this sign-in link was already used; ${AGAIN}` };
    },

    /** Takes a sign-in state exactly once; a used, expired or unknown state is refused with why. */
    takeSignInState(
      state: string,
    ): SignInResult<{ teamId: string; userId: string; codeVerifier: string; nonce: string }> {
      const now = ctx.now().toISOString();
      const found = store.oauthStates.get(state);
      const used = {
        ok: false,
        refusal: 'Used',
        message: `this sign-in link was already used; ${AGAIN}`,
      } as const;
      if (!found)
        return { ok: false, refusal: 'Unknown', message: `this sign-in link is not valid; ${AGAIN}` };
      if (found.usedAt) return used;
      if (found.expiresAt <= now)
        return {
          ok: false,
          refusal: 'Expired',
          message: `this sign-in link has expired (links last ${SIGN_IN_LIFETIME}); ${AGAIN}`,
        };
      if (!store.oauthStates.consume(state, now)) return used;
      return {
        ok: true,
        value: {
          teamId: found.teamId,
          userId: found.userId,
          codeVerifier: found.codeVerifier,
          nonce: found.nonce,
        },
      };
    },

    /** Admins' Slack user ids (linked users whose Google email is in the admin list). */
    adminUserIds(): string[] {
      return store.users
        .listLinked()
        .filter((u) => ctx.isAdmin(u))
        .map((u) => u.userId);
    },

    setTimeZone(userId: string, tz: string): void {
      store.users.setTimeZone(userId, tz);
    },

    /** The user left the company: stop their machines (disks kept) and block new requests. */
    offboard: (userId: string, reason: string): StoredInstance[] => offboardUser(ctx, userId, reason),

    /** Admin: lets an offboarded user back in (their keys return to their machines' Secrets). */
    reactivate(actor: Actor, userId: string): Result<User> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      if (!who.value.isAdmin) return fail('Forbidden', 'only admins can reactivate users');
      const user = store.users.get(userId);
      if (!user) return fail('NotFound', `${userId} has never used TiSpace; there is nothing to reactivate`);
      if (!user.deactivatedAt)
        return fail('InvalidState', `${userId} is not deactivated; there is nothing to reactivate`);
      reactivateUser(ctx, userId, actor.userId);
      return ok(store.users.get(userId)!);
    },
  };
}
