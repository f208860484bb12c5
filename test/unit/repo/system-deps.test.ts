// `.ci/run` installs the Debian packages every part of the project declares in a ci-packages.txt beside
// itself; a list the script does not find leaves a fresh machine without them (it once missed
// test/cluster/node/'s, so the real node had no mkfs.btrfs, conmon or CNI plugins on a clean CI machine).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

function packageLists(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory())
      return ['node_modules', '.git', '.cache'].includes(e.name) ? [] : packageLists(path.join(dir, e.name));
    return e.name === 'ci-packages.txt' ? [path.join(dir, e.name)] : [];
  });
}

describe('scripts/ensure-system-deps.sh', () => {
  it('installs every package of every ci-packages.txt in the tree, however deep', () => {
    const listed = new Set(
      execFileSync('bash', [path.join(root, 'scripts/ensure-system-deps.sh'), '--list'], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean),
    );
    const lists = packageLists(root);
    expect(lists.map((l) => path.relative(root, l))).toContain('test/cluster/node/ci-packages.txt');
    for (const list of lists) {
      const wanted = readFileSync(list, 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);
      for (const p of wanted) expect(listed, `${p} from ${path.relative(root, list)}`).toContain(p);
    }
    expect(listed).toContain('btrfs-progs');
  });
});
