/** Human durations as users type them: 90m, 12h, 3d, 2w (one unit; whole numbers). */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const DURATION_HELP = 'a whole number followed by m, h, d or w (e.g. 90m, 12h, 3d, 2w)';

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d{1,6})\s*([mhdw])\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase() as keyof typeof UNIT_MS;
  return value > 0 ? value * UNIT_MS[unit] : undefined;
}

/** Shortest exact rendering: 259200000 → "3d", 5400000 → "90m". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.max(1, Math.round(ms / 60_000))}m`;
}

/** Approximate, for countdowns: "2d 3h", "45m", "expired". */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const d = Math.floor(ms / UNIT_MS.d);
  const h = Math.floor((ms % UNIT_MS.d) / UNIT_MS.h);
  const m = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${Math.max(1, m)}m`;
}
