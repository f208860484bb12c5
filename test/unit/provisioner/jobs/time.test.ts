import { describe, expect, it } from 'vitest';
import {
  formatLocalTime,
  formatSpan,
  inQuietHours,
  localTime,
  zoneOrUtc,
} from '../../../../provisioner/jobs/time.ts';

const quiet = { start: 21, end: 8 };

describe('time zones and quiet hours', () => {
  it('falls back to UTC for a missing or unknown zone', () => {
    expect(zoneOrUtc(null)).toBe('UTC');
    expect(zoneOrUtc(undefined)).toBe('UTC');
    expect(zoneOrUtc('Mars/Olympus_Mons')).toBe('UTC');
    expect(zoneOrUtc('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(localTime(new Date('2026-01-05T06:30:00Z'), 'Nowhere/Else')).toMatchObject({
      hour: 6,
      minute: 30,
    });
  });

  it('reads the local hour in the user’s own zone', () => {
    const at = new Date('2026-01-05T06:00:00Z');
    expect(localTime(at, 'America/Los_Angeles')).toMatchObject({ day: 4, hour: 22 });
    expect(localTime(at, 'Asia/Tokyo')).toMatchObject({ day: 5, hour: 15 });
    expect(localTime(new Date('2026-01-05T15:00:00Z'), 'Asia/Tokyo')).toMatchObject({ day: 6, hour: 0 });
  });

  it('knows quiet hours over midnight per zone (Los Angeles vs Tokyo)', () => {
    // 06:00Z = 22:00 in Los Angeles (quiet), 15:00 in Tokyo (not).
    expect(inQuietHours(new Date('2026-01-05T06:00:00Z'), 'America/Los_Angeles', quiet)).toBe(true);
    expect(inQuietHours(new Date('2026-01-05T06:00:00Z'), 'Asia/Tokyo', quiet)).toBe(false);
    // 17:00Z = 09:00 in Los Angeles (not), 02:00 in Tokyo (quiet).
    expect(inQuietHours(new Date('2026-01-05T17:00:00Z'), 'America/Los_Angeles', quiet)).toBe(false);
    expect(inQuietHours(new Date('2026-01-05T17:00:00Z'), 'Asia/Tokyo', quiet)).toBe(true);
    // Boundaries: start is quiet, end is not.
    expect(inQuietHours(new Date('2026-01-05T21:00:00Z'), null, quiet)).toBe(true);
    expect(inQuietHours(new Date('2026-01-05T20:59:00Z'), null, quiet)).toBe(false);
    expect(inQuietHours(new Date('2026-01-05T07:59:00Z'), null, quiet)).toBe(true);
    expect(inQuietHours(new Date('2026-01-05T08:00:00Z'), null, quiet)).toBe(false);
  });

  it('handles quiet hours within one day, and none when start equals end', () => {
    const day = { start: 1, end: 6 };
    expect(inQuietHours(new Date('2026-01-05T03:00:00Z'), null, day)).toBe(true);
    expect(inQuietHours(new Date('2026-01-05T07:00:00Z'), null, day)).toBe(false);
    expect(inQuietHours(new Date('2026-01-05T03:00:00Z'), null, { start: 5, end: 5 })).toBe(false);
  });

  it('formats times and spans for people', () => {
    const now = new Date('2026-01-05T18:00:00Z');
    expect(formatLocalTime(new Date('2026-01-05T09:12:00Z'), now, null)).toBe('09:12');
    expect(formatLocalTime(new Date('2026-01-05T09:12:00Z'), now, 'Asia/Tokyo')).toBe('Jan 5 18:12');
    expect(formatLocalTime(new Date('2026-01-05T09:12:00Z'), now, 'America/Los_Angeles')).toBe('01:12');
    expect(formatLocalTime(new Date('2025-12-31T09:12:00Z'), now, null)).toBe('Dec 31 2025 09:12');
    expect(formatSpan(45 * 60_000)).toBe('45 min');
    expect(formatSpan(6 * 3_600_000)).toBe('6 h');
    expect(formatSpan(6.5 * 3_600_000)).toBe('6 h 30 min');
    expect(formatSpan(74 * 3_600_000)).toBe('3 d 2 h');
    expect(formatSpan(-5)).toBe('0 min');
  });
});
