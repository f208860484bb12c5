// A Provisioner used only for its API (identity, sign-in states, offboarding): a real SQLite store in a
// temporary directory, and a kubeconfig pointing nowhere — start() is never called, so nothing dials it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ManualClock, Provisioner, parseConfig } from '../../../provisioner/api.ts';

export const silentLog = pino({ level: 'silent' });

export function offlineKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  return kc;
}

export function apiOnlyProvisioner(rawConfig: Record<string, unknown> = {}): {
  provisioner: Provisioner;
  clock: ManualClock;
  close(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tispace-identity-'));
  const config = parseConfig(rawConfig);
  if (!config.ok) throw new Error(config.error.message);
  const clock = new ManualClock(Date.now());
  const provisioner = new Provisioner({
    config: config.value,
    kubeConfig: offlineKubeConfig(),
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
