// Instance rows of tests, built as the store builds them (newInstanceRow), with the fields a test cares
// about overridden.
import { newInstanceRow, type StoredInstance } from '../../provisioner/store/instances-repo.ts';

/** Up and reachable: on dev-1, with an SSH address. */
export const RUNNING = { phase: 'running', node: 'dev-1', sshHost: '10.0.0.1', sshPort: 30022 } as const;

/** A 2-CPU, 8 GiB, 50 GiB Ubuntu machine "web1" (id web1-abcde) of UADA (ada@example.com). */
export function instanceRow(over: Partial<StoredInstance> = {}): StoredInstance {
  const name = over.name ?? 'web1';
  return newInstanceRow({
    id: `${name}-abcde`,
    name,
    ownerId: 'UADA',
    ownerEmail: 'ada@example.com',
    image: 'ubuntu-22.04',
    cpu: 2,
    memoryGiB: 8,
    diskGiB: 50,
    loginUser: 'ubuntu',
    createdAt: '2030-01-01T00:00:00.000Z',
    leaseEndsAt: '2030-01-03T15:00:00.000Z',
    ...over,
  });
}
