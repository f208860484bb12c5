import { describe, expect, it } from 'vitest';
import { quotaProblem, usageOf } from '../../../provisioner/quota.ts';

const quota = { instances: 3, cpu: 16, memoryGiB: 64, diskGiB: 500 };

describe('quota', () => {
  it('names what is left when a request exceeds it', () => {
    const used = usageOf([{ image: 'x', cpu: 10, memoryGiB: 40, diskGiB: 100 }]);
    expect(quotaProblem(quota, used, { image: 'x', cpu: 8, memoryGiB: 8, diskGiB: 50 })).toEqual({
      field: 'cpu',
      message: 'cpu 8 exceeds your quota: you have 6 of 16 CPUs left',
    });
    expect(quotaProblem(quota, used, { image: 'x', cpu: 4, memoryGiB: 30, diskGiB: 50 })?.message).toBe(
      'memory 30 GiB exceeds your quota: you have 24 of 64 GiB left',
    );
    expect(quotaProblem(quota, used, { image: 'x', cpu: 4, memoryGiB: 8, diskGiB: 401 })?.field).toBe(
      'diskGiB',
    );
    expect(quotaProblem(quota, used, { image: 'x', cpu: 6, memoryGiB: 24, diskGiB: 400 })).toBeUndefined();
  });

  it('counts instances', () => {
    const spec = { image: 'x', cpu: 1, memoryGiB: 1, diskGiB: 1 };
    expect(quotaProblem(quota, usageOf([spec, spec, spec]), spec)?.message).toMatch(
      /already have 3 of 3 instances/,
    );
  });
});
