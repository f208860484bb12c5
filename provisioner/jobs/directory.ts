import type { User } from '../store/users-repo.ts';

// The workspace directory (pure rule + port). Offboarding must not hang on one Slack event (user_change can
// be missed: the app was down, the event was dropped): the directory job compares TiSpace's users with the
// workspace's members every day and offboards whoever was deactivated or removed. An answer it cannot get
// offboards nobody.

/** A workspace member as the directory lists them. */
export interface DirectoryMember {
  id: string;
  /** Deactivated in the workspace. */
  deleted: boolean;
}

/**
 * The workspace's member directory (Slack: users.list / users.info). Defined here, implemented by a front
 * end (bot/), so the provisioner never imports the bot. Failures throw.
 */
export interface DirectorySource {
  /** Every member, deactivated ones included (paginated by the implementation). */
  members(): AsyncIterable<DirectoryMember>;
  /** One user; 'not-found' when the workspace does not know the id at all. */
  lookup(id: string): Promise<DirectoryMember | 'not-found'>;
}

/** Same reason as the user_change event's, so both paths read alike in the audit log and the alert. */
export const DEACTIVATED_REASON = 'deactivated in Slack';
export const NOT_FOUND_REASON = 'no longer in the Slack workspace';

type DirectoryUser = Pick<User, 'userId' | 'teamId' | 'deactivatedAt'>;

export type DirectoryDecision =
  /** Not checked: a web-only user (no Slack account) or one already deactivated. */
  | { kind: 'skip'; why: string }
  /** An active member: nothing to do. */
  | { kind: 'active' }
  /** Listed nowhere and the lookup failed: fail safe, nothing happens (retried on the next run). */
  | { kind: 'unknown' }
  /** Deactivated or removed in the workspace: stop their machines (disks kept), block them, tell admins. */
  | { kind: 'offboard'; reason: string };

/** Whether the directory job checks this user at all. */
export const directoryChecks = (u: DirectoryUser): boolean =>
  !u.deactivatedAt && u.teamId !== '' && !u.userId.startsWith('web-');

/** `entry`: the member as listed or looked up; undefined if neither answered. */
export function decideDirectory(
  user: DirectoryUser,
  entry: DirectoryMember | 'not-found' | undefined,
): DirectoryDecision {
  if (user.deactivatedAt) return { kind: 'skip', why: 'already deactivated' };
  if (!directoryChecks(user)) return { kind: 'skip', why: 'web-only user (no Slack account)' };
  if (entry === undefined) return { kind: 'unknown' };
  if (entry === 'not-found') return { kind: 'offboard', reason: NOT_FOUND_REASON };
  return entry.deleted ? { kind: 'offboard', reason: DEACTIVATED_REASON } : { kind: 'active' };
}
