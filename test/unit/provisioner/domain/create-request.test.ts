import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../provisioner/config/load.ts';
import { resolveCreateRequest } from '../../../../provisioner/domain/create-request.ts';

const config = (() => {
  const r = parseConfig({});
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();

describe('create requests', () => {
  it('fills image, size, disk and lease from the catalog and policy', () => {
    const r = resolveCreateRequest(config, { name: 'web1' });
    expect(r.ok && r.value).toMatchObject({
      spec: { image: 'ubuntu-22.04', cpu: 2, memoryGiB: 8, diskGiB: 50 },
      leaseMs: 7 * 86_400_000,
    });
    const large = resolveCreateRequest(config, { name: 'web1', size: 'large', lease: '3d', diskGiB: 100 });
    expect(large.ok && large.value).toMatchObject({
      spec: { cpu: 8, memoryGiB: 32, diskGiB: 100 },
      leaseMs: 3 * 86_400_000,
    });
  });

  it('names every bad field and what is allowed', () => {
    const r = resolveCreateRequest(config, {
      name: 'Web_1',
      image: 'windows',
      size: 'huge',
      cpu: 64,
      memoryGiB: 0,
      diskGiB: 5,
      lease: '90d',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byField = Object.fromEntries(r.problems.map((p) => [p.field, p.message]));
    expect(byField.name).toMatch(/lowercase letters, digits/);
    expect(byField.image).toBe('image "windows" is not available; choose one of: ubuntu-22.04, debian-12');
    expect(byField.size).toBe('size "huge" does not exist; choose one of: small, medium, large, xlarge');
    expect(byField.cpu).toBe('cpu must be a whole number of CPUs from 1 to 16; got 64');
    expect(byField.memoryGiB).toMatch(/from 1 to 64; got 0/);
    expect(byField.lease).toBe('lease 90d is longer than the maximum of 30d');
  });

  it('checks the disk against the image minimum', () => {
    const r = resolveCreateRequest(config, { name: 'a', diskGiB: 10 });
    expect(!r.ok && r.problems[0]!.message).toBe(
      'disk must be a whole number of GiB from 20 to 500 for ubuntu-22.04; got 10',
    );
  });
});
