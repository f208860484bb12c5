// Provisioners that are never started (no cluster): a real SQLite store, and a kubeconfig pointing nowhere
// — start() is never called, so nothing dials it. For tests of the API, the jobs and the store.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock, Provisioner, type ProvisionerOptions } from '../../provisioner/api.ts';
import { testConfig } from './config.ts';
import { nowhereKubeConfig } from './kube-config.ts';
import { silentLog } from './log.ts';
import { simulatedNodeHostKeys } from './simulated-host-keys.ts';
import { tempDir } from './temp.ts';

export const offlineProvisioner = (o: Omit<ProvisionerOptions, 'kubeConfig' | 'log'>): Provisioner =>
  new Provisioner({ kubeConfig: nowhereKubeConfig(), log: silentLog, hostKeys: simulatedNodeHostKeys, ...o });

/** An offline Provisioner in a temporary directory of its own, with a manual clock; close() removes it. */
export function apiOnlyProvisioner(rawConfig: Record<string, unknown> = {}): {
  provisioner: Provisioner;
  clock: ManualClock;
  close(): void;
} {
  const dir = tempDir('tispace-identity-');
  const clock = new ManualClock(Date.now());
  const provisioner = offlineProvisioner({
    config: testConfig(rawConfig),
    store: join(dir, 'tispace.db'),
    clock,
  });
  return {
    provisioner,
    clock,
    close() {
      provisioner.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
