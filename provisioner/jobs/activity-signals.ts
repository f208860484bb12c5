import type { StoredInstance } from '../store/instances-repo.ts';

// Activity signals for idle detection (types only: the pure idle rule reads them without knowing where
// they come from). An unavailable signal never counts as idle.

export type CpuSignal = { available: true; percent: number } | { available: false; reason: string };

export type SshSignal =
  | {
      available: true;
      /** Open SSH sessions right now. */
      activeSessions: number;
      /** Since when sessions have been open without a break (ISO); null when none is open. */
      openSince: string | null;
      /** When the last session ended or was last seen (ISO), null if none was ever seen. */
      lastSessionAt: string | null;
    }
  | { available: false; reason: string };

export interface ActivitySample {
  /** CPU use as a percent of the instance's CPUs (100 = all of them busy). */
  cpu: CpuSignal;
  ssh: SshSignal;
}

/** What an activity source is told of each instance (a running instance, without its conditions, lease…). */
export type ActivityTarget = Pick<
  StoredInstance,
  'id' | 'name' | 'ownerId' | 'cpu' | 'node' | 'sshHost' | 'sshPort'
>;

/** Where idle detection learns whether instances are in use. */
export interface ActivitySource {
  /**
   * Samples every given instance in one go (one pass of the idle job: one metrics list, not a request per
   * instance), keyed by instance id. An instance missing from the answer counts as unavailable.
   */
  sampleAll(instances: readonly ActivityTarget[], now: Date): Promise<ReadonlyMap<string, ActivitySample>>;
}

/** The SSH-sessions signal (the gateway's reports of its connections to machines: gateway-sessions.ts). */
export interface SshSessionSource {
  sessions(instance: ActivityTarget): Promise<SshSignal>;
}
