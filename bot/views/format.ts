import {
  formatRemaining,
  formatUtc,
  type Instance,
  type InstancePhase,
  sshCommand,
} from '../../provisioner/api.ts';

const PHASE_EMOJI: Record<InstancePhase, string> = {
  requested: ':hourglass_flowing_sand:',
  provisioning: ':hourglass_flowing_sand:',
  running: ':large_green_circle:',
  stopping: ':double_vertical_bar:',
  stopped: ':white_circle:',
  deleting: ':wastebasket:',
  deleted: ':wastebasket:',
  failed: ':red_circle:',
};

export const phaseLabel = (i: Pick<Instance, 'phase'>): string => `${PHASE_EMOJI[i.phase]} ${i.phase}`;

export const sizeText = (i: Pick<Instance, 'cpu' | 'memoryGiB' | 'diskGiB'>): string =>
  `${i.cpu} CPU · ${i.memoryGiB} GiB RAM · ${i.diskGiB} GiB disk`;

export const leaseText = (i: Pick<Instance, 'leaseEndsAt'>, now: Date): string => {
  const left = Date.parse(i.leaseEndsAt) - now.getTime();
  return left > 0 ? `lease ends in ${formatRemaining(left)}` : 'lease expired';
};

/** A time in the user's own zone, e.g. "Fri 31 Jan, 15:00 CET"; falls back to UTC on an unknown zone. */
export function localTime(iso: string, tz: string | null | undefined): string {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: tz ?? 'UTC',
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(new Date(iso));
  } catch {
    return formatUtc(iso);
  }
}

export const sshLine = (i: Pick<Instance, 'sshHost' | 'sshJump' | 'loginUser'>): string | null => {
  const cmd = sshCommand(i);
  return cmd ? `\`${cmd}\`` : null;
};

/** Why an instance failed, from its conditions, in the words the reconciler recorded. */
export const failureReason = (i: Pick<Instance, 'conditions'>): string | undefined =>
  i.conditions.find((c) => c.status === 'False')?.message;
