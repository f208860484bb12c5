import { describe, expect, it } from 'vitest';
import { decideDirectory } from '../../../../provisioner/jobs/directory.ts';

const user = (over: Record<string, unknown> = {}) => ({
  userId: 'U1',
  teamId: 'T1',
  deactivatedAt: null,
  ...over,
});

describe('directory rule', () => {
  it('offboards the deactivated and the unknown, keeps active members', () => {
    expect(decideDirectory(user(), { id: 'U1', deleted: true })).toEqual({
      kind: 'offboard',
      reason: 'deactivated in Slack',
    });
    expect(decideDirectory(user(), 'not-found')).toEqual({
      kind: 'offboard',
      reason: 'no longer in the Slack workspace',
    });
    expect(decideDirectory(user(), { id: 'U1', deleted: false })).toEqual({ kind: 'active' });
  });

  it('fails safe: no answer offboards nobody; web-only and deactivated users are not checked', () => {
    expect(decideDirectory(user(), undefined)).toEqual({ kind: 'unknown' });
    expect(decideDirectory(user({ userId: 'web-abc', teamId: '' }), 'not-found').kind).toBe('skip');
    expect(decideDirectory(user({ deactivatedAt: '2026-01-01T00:00:00Z' }), 'not-found').kind).toBe('skip');
  });
});
