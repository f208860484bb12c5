// The local cluster's real node runs the `kata` handler with runc (no KVM on test machines) through
// crio/local-node.conf.d/99-tispace-kata-runc.conf. Only where the container runs may differ from the
// production drop-in; everything else the handler says must be the same.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../cluster/paths.ts';

/** `key = value` lines of one TOML table (enough for these flat drop-ins). */
function table(file: string, name: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current = '';
  for (const raw of readFileSync(path.join(repoRoot, 'crio', file), 'utf8').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) current = header[1];
    const kv = /^([a-z_]+)\s*=\s*(.+)$/.exec(line);
    if (kv?.[1] && kv[2] && current === name) entries.set(kv[1], kv[2]);
  }
  return entries;
}

const handler = 'crio.runtime.runtimes.kata';
/** What says where the container runs: Kata's shim in production, the node's default runtime here. */
const location = new Set(['runtime_path', 'runtime_type', 'runtime_root', 'runtime_config_path']);

describe('local node kata drop-in', () => {
  const production = table('crio.conf.d/99-tispace-kata.conf', handler);
  const local = table('local-node.conf.d/99-tispace-kata-runc.conf', handler);

  it('runs the kata handler with the default runtime (runc) instead of the Kata shim', () => {
    expect(production.get('runtime_type')).toBe('"vm"');
    expect(local.get('inherit_default_runtime')).toBe('true');
    for (const key of location) expect(local.has(key), key).toBe(false);
  });

  it('keeps every other setting of the production handler', () => {
    for (const [key, value] of production) {
      if (location.has(key)) continue;
      expect(local.get(key), key).toBe(value);
    }
    expect(local.get('privileged_without_host_devices')).toBe('true');
  });
});
