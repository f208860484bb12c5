import { describe, expect, it } from 'vitest';
import { formatDuration, formatRemaining, parseDuration } from '../../../../provisioner/domain/duration.ts';

describe('durations', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['3d', 3 * 86_400_000],
    ['2w', 14 * 86_400_000],
    [' 3D ', 3 * 86_400_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '3', 'd', '0d', '-1d', '1.5d', '3 days', '1d2h'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats exactly and approximately', () => {
    expect(formatDuration(3 * 86_400_000)).toBe('3d');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatDuration(14 * 86_400_000)).toBe('2w');
    expect(formatRemaining(2 * 86_400_000 + 3 * 3_600_000 + 5 * 60_000)).toBe('2d 3h');
    expect(formatRemaining(45 * 60_000)).toBe('45m');
    expect(formatRemaining(-1)).toBe('expired');
  });
});
