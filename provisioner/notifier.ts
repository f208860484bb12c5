import type { Instance, InstancePhase } from './domain/instance.ts';

export interface PhaseChange {
  from: InstancePhase;
  to: InstancePhase;
  /** Why, in words a user understands (e.g. the failing condition's message). */
  reason?: string;
}

export interface ReminderButtons {
  /** Extension choices still within the policy maximum, as durations in ms. */
  extendOptions: number[];
  canStop: boolean;
  canDelete: boolean;
}

/** A notice from the scheduled jobs, rendered by the front end in the user's time zone. */
export type JobNotice =
  | { kind: 'lease-reminder'; instance: Instance; endsAt: string; buttons: ReminderButtons; final: boolean }
  | { kind: 'lease-expired'; instance: Instance }
  | { kind: 'idle-warning'; instance: Instance; evidence: string; stopAt: string }
  | { kind: 'idle-stopped'; instance: Instance; evidence: string }
  | { kind: 'retention-reminder'; instance: Instance; deleteAt: string; final: boolean }
  | { kind: 'snapshot-taken'; instance: Instance; restoreUntil: string }
  | { kind: 'offboarded'; userId: string; stopped: Instance[]; reason: string };

/**
 * How the provisioner tells people things. The provisioner defines it; a front end (the Slack bot)
 * implements it. Implementations handle their own delivery errors and retries.
 */
export interface Notifier {
  instanceChanged(instance: Instance, change: PhaseChange): Promise<void>;
  /** Returns false if the notice could not be delivered (the job then tries again next run). */
  notice(userId: string, notice: JobNotice): Promise<boolean>;
  /** Something admins must know (offboarding, a stuck deletion). */
  adminAlert(text: string): Promise<void>;
}

export const silentNotifier: Notifier = {
  instanceChanged: async () => {},
  notice: async () => true,
  adminAlert: async () => {},
};

/** Tells several front ends (Slack and the web's live pages) the same things; the first answers notices. */
export function fanOutNotifier(first: Notifier, ...others: Notifier[]): Notifier {
  return {
    instanceChanged: async (i, c) => {
      await Promise.all([first, ...others].map((n) => n.instanceChanged(i, c)));
    },
    notice: async (u, n) => {
      const [delivered] = await Promise.all([first.notice(u, n), ...others.map((o) => o.notice(u, n))]);
      return delivered!;
    },
    adminAlert: async (t) => {
      await Promise.all([first, ...others].map((n) => n.adminAlert(t)));
    },
  };
}
