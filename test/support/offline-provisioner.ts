// A Provisioner used only for its API (identity, sign-in states, offboarding): a real SQLite store in a
// temporary directory, and a kubeconfig pointing nowhere — start() is never called, so nothing dials it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock, Provisioner } from '../../provisioner/api.ts';
import { testConfig } from './config.ts';
import { nowhereKubeConfig } from './kube-config.ts';
import { silentLog } from './log.ts';
import { tempDir } from './temp.ts';

export function apiOnlyProvisioner(rawConfig: Record<string, unknown> = {}): {
  provisioner: Provisioner;
  clock: ManualClock;
  close(): void;
} {
  const dir = tempDir('tispace-identity-');
  const clock = new ManualClock(Date.now());
  const provisioner = new Provisioner({
    config: testConfig(rawConfig),
    kubeConfig: nowhereKubeConfig(),
    store: join(dir, 'tispace.db'),
    log: silentLog,
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
