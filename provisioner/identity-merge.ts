// One person, one TiSpace user. Someone who signs in on the web before ever linking Slack becomes a
// web-only user (web-<Google sub>). When they later link their Slack user to that same Google account
// (the Slack link flow checks the verified email against the Slack profile and the allowed domain), the
// web-only user's machines, keys, quota override, browser sessions and API tokens move to the Slack user,
// so Slack and the web show the same machines. Only a web-only user is ever merged: a Google account held
// by another Slack user only moves its link (as before), never that user's machines.

import { webUserId } from './domain/web-user.ts';
import type { UserError } from './errors.ts';
import type { Store } from './store/store.ts';
import type { User } from './store/users-repo.ts';

/** The web-only user now holding this Google account, if any (other than `into`). */
function webOnlyHolder(store: Store, into: string, googleSub: string): User | undefined {
  const holder = store.users.findByGoogleSub(googleSub);
  if (!holder || holder.userId === into) return undefined;
  return holder.teamId === '' && holder.userId === webUserId(googleSub) ? holder : undefined;
}

/** Why `into` may not take this Google account (and the web-only user's things) now, if it may not. */
export function mergeRefusal(store: Store, into: string, googleSub: string): UserError | undefined {
  const from = webOnlyHolder(store, into, googleSub);
  if (!from) return undefined;
  if (from.deactivatedAt)
    return {
      code: 'Deactivated',
      message:
        'The TiSpace account of this Google account is deactivated (offboarded), so it cannot be linked. Ask an admin.',
    };
  const mine = new Set(store.instances.listByOwner(into).map((i) => i.name));
  const clash = store.instances
    .listByOwner(from.userId)
    .map((i) => i.name)
    .filter((n) => mine.has(n));
  if (clash.length)
    return {
      code: 'Conflict',
      field: 'name',
      message: `You have machines named ${clash.join(', ')} both in Slack and on the web, and machine names are unique per person. Delete one of your machines named ${clash[0]} (in Slack or on the web), then link again. Nothing was changed.`,
    };
  return undefined;
}

/**
 * Moves everything of the web-only user holding `googleSub` to `into`. Call inside the transaction that
 * links `into` to the account, after mergeRefusal said nothing. Returns what moved, or undefined.
 */
export function mergeWebOnlyUser(
  store: Store,
  into: string,
  googleSub: string,
  now: string,
): { from: string; machines: number; keys: number } | undefined {
  const from = webOnlyHolder(store, into, googleSub);
  if (!from || from.deactivatedAt) return undefined;
  const run = (sql: string) => store.db.prepare(sql).run({ from: from.userId, into }).changes;
  store.users.ensure(into, '', now);
  const machines = run('UPDATE instances SET owner_id = @into WHERE owner_id = @from');
  // A key both already have stays once.
  const keys = run('UPDATE OR IGNORE ssh_keys SET user_id = @into WHERE user_id = @from');
  run('DELETE FROM ssh_keys WHERE user_id = @from');
  // An admin's quota override of the web-only user applies to the person, unless they have one already.
  run(
    'UPDATE OR IGNORE quota_overrides SET user_id = @into WHERE user_id = @from AND NOT EXISTS (SELECT 1 FROM quota_overrides WHERE user_id = @into)',
  );
  run('DELETE FROM quota_overrides WHERE user_id = @from');
  run('UPDATE web_sessions SET user_id = @into WHERE user_id = @from');
  run('UPDATE api_tokens SET user_id = @into WHERE user_id = @from');
  return { from: from.userId, machines, keys };
}
