import { formatDuration } from '../domain/duration.ts';

// Reminders before a deadline (pure): which one is due now, under what claim key.

export interface DueReminder {
  /** How long before the deadline this reminder is meant to go out. */
  offsetMs: number;
  /** When it became due (ms since epoch). */
  dueAt: number;
  /** The last (smallest-offset) reminder: never held back by quiet hours. */
  final: boolean;
  /**
   * Claim key: the deadline and the offset. A moved deadline (an extended lease, a restarted and
   * stopped-again instance) gives new keys, so its reminders are armed again.
   */
  key: string;
}

export interface DueOptions {
  /**
   * Reminders whose time came before this (the instance did not exist yet, or the lease was shorter
   * than the offset) are not sent.
   */
  armedAt: number;
  /**
   * If even the final reminder's time came before `armedAt`, it is due at `armedAt` instead (retention:
   * nobody's disk is deleted without a final reminder).
   */
  finalAlways?: boolean;
}

/** Offsets, largest first, without duplicates or non-positive values. */
export const normalizeOffsets = (offsets: readonly number[]): number[] =>
  [...new Set(offsets.filter((o) => o > 0))].sort((a, b) => b - a);

export const reminderKey = (deadline: number, offsetMs: number): string =>
  `${new Date(deadline).toISOString()}/${formatDuration(offsetMs)}`;

/**
 * The latest reminder that is due at `now` (before the deadline), or undefined. Earlier ones whose time
 * has also come are superseded: only the latest due one is ever sent.
 */
export function latestDueReminder(
  deadline: number,
  offsets: readonly number[],
  now: number,
  options: DueOptions,
): DueReminder | undefined {
  const sorted = normalizeOffsets(offsets);
  const smallest = sorted.at(-1);
  if (smallest === undefined || now >= deadline) return undefined;
  let latest: DueReminder | undefined;
  for (const offsetMs of sorted) {
    const final = offsetMs === smallest;
    let dueAt = deadline - offsetMs;
    if (dueAt < options.armedAt) {
      if (!(final && options.finalAlways)) continue;
      dueAt = options.armedAt;
    }
    if (dueAt <= now) latest = { offsetMs, dueAt, final, key: reminderKey(deadline, offsetMs) };
  }
  return latest;
}

/** The final reminder's offset (the smallest), if any reminders are configured. */
export const finalOffset = (offsets: readonly number[]): number | undefined =>
  normalizeOffsets(offsets).at(-1);
