import { describe, expect, it } from 'vitest';
import {
  finalOffset,
  latestDueReminder,
  normalizeOffsets,
} from '../../../../provisioner/jobs/reminder-schedule.ts';
import { H } from '../../../support/durations.ts';

const t = (iso: string) => Date.parse(iso);
const deadline = t('2026-01-06T12:00:00Z');
const armedAt = t('2026-01-01T00:00:00Z');

describe('reminder schedule', () => {
  it('normalizes offsets: largest first, unique, positive', () => {
    expect(normalizeOffsets([H, 24 * H, H, 0, -5])).toEqual([24 * H, H]);
    expect(finalOffset([24 * H, H])).toBe(H);
    expect(finalOffset([])).toBeUndefined();
  });

  it('is due from deadline − offset until the deadline', () => {
    expect(latestDueReminder(deadline, [24 * H, H], t('2026-01-05T11:59:00Z'), { armedAt })).toBeUndefined();
    expect(latestDueReminder(deadline, [24 * H, H], t('2026-01-05T12:00:00Z'), { armedAt })).toMatchObject({
      offsetMs: 24 * H,
      final: false,
      key: '2026-01-06T12:00:00.000Z/1d',
    });
    expect(latestDueReminder(deadline, [24 * H, H], t('2026-01-06T11:30:00Z'), { armedAt })).toMatchObject({
      offsetMs: H,
      final: true,
      key: '2026-01-06T12:00:00.000Z/1h',
    });
    expect(latestDueReminder(deadline, [24 * H, H], deadline, { armedAt })).toBeUndefined();
  });

  it('keys by the deadline, so a moved deadline re-arms every reminder', () => {
    const later = deadline + 24 * H;
    const a = latestDueReminder(deadline, [24 * H, H], t('2026-01-05T13:00:00Z'), { armedAt });
    const b = latestDueReminder(later, [24 * H, H], t('2026-01-06T13:00:00Z'), { armedAt });
    expect(a?.key).not.toBe(b?.key);
    expect(b?.key).toBe('2026-01-07T12:00:00.000Z/1d');
  });

  it('skips reminders whose time came before the thing existed, unless the final one must always go', () => {
    const created = t('2026-01-06T00:00:00Z'); // a 12 h lease: the 24 h reminder never applies
    expect(
      latestDueReminder(deadline, [24 * H, H], t('2026-01-06T01:00:00Z'), { armedAt: created }),
    ).toBeUndefined();
    expect(
      latestDueReminder(deadline, [24 * H, H], t('2026-01-06T11:00:00Z'), { armedAt: created })?.offsetMs,
    ).toBe(H);
    const short = t('2026-01-06T11:30:00Z'); // shorter than even the final offset
    expect(
      latestDueReminder(deadline, [24 * H, H], t('2026-01-06T11:31:00Z'), { armedAt: short }),
    ).toBeUndefined();
    expect(
      latestDueReminder(deadline, [24 * H, H], t('2026-01-06T11:31:00Z'), {
        armedAt: short,
        finalAlways: true,
      }),
    ).toMatchObject({ offsetMs: H, final: true, dueAt: short });
  });
});
