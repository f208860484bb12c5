import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../../provisioner/config/load.ts';

const tmp = mkdtempSync(join(tmpdir(), 'tispace-config-'));
const file = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

describe('configuration', () => {
  it('runs with no file at all on built-in defaults', () => {
    const result = loadConfig(undefined);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.namespace).toBe('tispace');
    expect(result.value.runtimeClassName).toBe('kata');
    expect(result.value.images.map((i) => i.name)).toContain('ubuntu-22.04');
    expect(result.value.policy.defaultLease).toBe(7 * 86_400_000);
    expect(result.value.policy.leaseReminders).toEqual([86_400_000, 3_600_000]);
    expect(result.value.quota).toEqual({ instances: 3, cpu: 16, memoryGiB: 64, diskGiB: 500 });
  });

  it('TISPACE_NAMESPACE overrides the file', () => {
    const result = loadConfig(file('ns.yaml', 'namespace: from-file\n'), { namespace: 'from-env' });
    expect(result.ok && result.value.namespace).toBe('from-env');
  });

  it('reads a YAML file and fills what it leaves out', () => {
    const path = file(
      'ok.yaml',
      'policy:\n  maxLease: 14d\nquota:\n  instances: 5\n  cpu: 32\n  memoryGiB: 128\n  diskGiB: 1000\nadmins: [ops@corp.com]\n',
    );
    const result = loadConfig(path);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.policy.maxLease).toBe(14 * 86_400_000);
    expect(result.value.policy.defaultLease).toBe(7 * 86_400_000);
    expect(result.value.admins).toEqual(['ops@corp.com']);
  });

  it('names the exact path and the allowed values of every error', () => {
    const result = parseConfig({
      images: [{ name: 'Ubuntu', snapshot: 'golden_ubuntu', containerImage: 'x' }],
      policy: { maxLease: 'forever' },
      quota: { instances: -1, cpu: 1, memoryGiB: 1, diskGiB: 1 },
      colour: 'blue',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.error.message.split('\n');
    expect(lines.find((l) => l.startsWith('images.0.name:'))).toMatch(/lowercase/);
    expect(lines.find((l) => l.startsWith('images.0.snapshot:'))).toMatch(/DNS-1123/);
    expect(lines.find((l) => l.startsWith('policy.maxLease:'))).toMatch(
      /"forever" is not a duration; use .*12h, 3d/,
    );
    expect(lines.find((l) => l.startsWith('quota.instances:'))).toBeDefined();
    expect(result.error.message).toMatch(/colour/);
  });

  it('refuses the removed sshServiceType, saying what replaced it, whatever its value', () => {
    for (const value of ['NodePort', 'LoadBalancer', 'ClusterIP']) {
      const result = parseConfig({ sshServiceType: value, gateway: { host: 'gw.corp.com' } });
      expect(result.ok || result.error.message).toBe(
        'sshServiceType: sshServiceType was removed: machines are reached through the SSH gateway; set gateway.host and gateway.port instead',
      );
    }
    // Alongside other mistakes, every one is still reported.
    const both = loadConfig(file('old.yaml', 'sshServiceType: NodePort\npolicy:\n  maxLease: forever\n'));
    expect(!both.ok && both.error.message.split('\n')).toEqual([
      expect.stringMatching(/old\.yaml:$/),
      expect.stringMatching(/^sshServiceType: .*set gateway\.host and gateway\.port instead$/),
      expect.stringMatching(/^policy\.maxLease: "forever" is not a duration/),
    ]);
  });

  it('refuses settings that contradict each other', () => {
    const result = parseConfig({ policy: { defaultLease: '40d', maxLease: '30d' } });
    expect(result.ok || result.error.message).toBe('policy.defaultLease: must not exceed policy.maxLease');
  });

  it('reports unreadable files and bad YAML with the file name', () => {
    const missing = loadConfig(join(tmp, 'nope.yaml'));
    expect(!missing.ok && missing.error.message).toMatch(/cannot read .*nope\.yaml/);
    const bad = loadConfig(file('bad.yaml', 'images: [\n'));
    expect(!bad.ok && bad.error.message).toMatch(/bad\.yaml is not valid YAML/);
  });
});
