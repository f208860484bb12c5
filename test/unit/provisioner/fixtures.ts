// One instance and the default config, shared by the tests of what is built from them.
import { parseConfig } from '../../../provisioner/config/load.ts';
import type { Instance } from '../../../provisioner/domain/instance.ts';
import { newInstanceRow } from '../../../provisioner/store/instances-repo.ts';

export const config = (() => {
  const r = parseConfig({ namespace: 'tispace' });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();

export const image = config.images[0]!;

/** A 4-CPU, 16 GiB machine "web1" of U123, created 2026-01-05. */
export const instance: Instance = newInstanceRow({
  id: 'web1-k3f9x',
  name: 'web1',
  ownerId: 'U123',
  ownerEmail: 'ana@corp.com',
  image: image.name,
  cpu: 4,
  memoryGiB: 16,
  diskGiB: 100,
  loginUser: 'ubuntu',
  createdAt: '2026-01-05T09:00:00.000Z',
  leaseEndsAt: '2026-01-12T09:00:00.000Z',
});
