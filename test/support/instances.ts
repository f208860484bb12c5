// Instance rows of tests, built as the store builds them (newInstanceRow), with the fields a test cares
// about overridden.
import { machineHostName } from '../../provisioner/domain/ssh-access.ts';
import { newInstanceRow, type StoredInstance } from '../../provisioner/store/instances-repo.ts';
import { simulatedHostKey } from './simulated-host-keys.ts';

/**
 * Up and reachable: on dev-1, through the gateway gw.example.com. instanceRow gives a running row what the
 * reconciler records: its stable name (`<id>-ssh.tispace`) and a host key.
 */
export const RUNNING = {
  phase: 'running',
  node: 'dev-1',
  sshPort: 22,
  sshJump: 'tispace@gw.example.com',
} as const;

/** A 2-CPU, 8 GiB, 50 GiB Ubuntu machine "web1" (id web1-abcde) of UADA (ada@example.com). */
export function instanceRow(over: Partial<StoredInstance> = {}): StoredInstance {
  const name = over.name ?? 'web1';
  const id = over.id ?? `${name}-abcde`;
  const running = over.phase === 'running';
  return newInstanceRow({
    id,
    ...(running ? { sshHost: machineHostName(id, 'tispace'), hostKeys: [simulatedHostKey(id)] } : {}),
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
