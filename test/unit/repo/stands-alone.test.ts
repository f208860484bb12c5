// The repository stands alone: a clone with nothing beside it can run its tests. Upstream data the tests
// need is vendored under third_party/, and no tracked file points outside the repository.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
// Built so that this file does not match itself.
const sibling = ['..', 'shared'].join('/');

/** Tracked files plus new ones not yet committed (so the check also holds before a commit). */
function repoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return out.split('\0').filter((f) => f && existsSync(path.join(root, f)));
}

describe('the repository stands alone', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-alone-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it(`no file in the repository refers to ${sibling}`, () => {
    const offenders = repoFiles().filter((f) => readFileSync(path.join(root, f), 'latin1').includes(sibling));
    expect(offenders).toEqual([]);
  });

  it('a copy with nothing beside it installs the vendored CRDs and validates the Slack manifest', () => {
    // The copy sits alone in an empty directory: no sibling directory exists next to it.
    const clone = path.join(scratch, 'tispace');
    for (const f of repoFiles()) {
      mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      cpSync(path.join(root, f), path.join(clone, f));
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));
    expect(existsSync(path.join(scratch, 'shared'))).toBe(false);

    const run = (args: string[]) =>
      execFileSync(process.execPath, args, {
        cwd: clone,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    // The seed code the integration tests run, reading its CRDs from the copy.
    const kinds = run([
      '--import',
      'tsx',
      '-e',
      "import('./test/cluster/seed.ts').then((m) => console.log(JSON.stringify(m.sharedCrds().map((c) => c.spec.names.kind))))",
    ]);
    expect(JSON.parse(kinds)).toEqual(
      expect.arrayContaining([
        'CephCluster',
        'CephBlockPool',
        'VolumeSnapshot',
        'VolumeSnapshotClass',
        'VolumeSnapshotContent',
      ]),
    );
    // The manifest test, run in the copy against the vendored schema.
    const out = run([
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      'unit',
      '--reporter',
      'dot',
      'test/unit/bot/config/app-manifest.test.ts',
    ]);
    expect(stripVTControlCharacters(out)).toMatch(/Tests\s+\d+ passed/);
  }, 60_000);
});
