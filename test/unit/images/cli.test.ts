import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGES_DIR } from '../../../images/catalog.ts';

// Bad input to `npm run image` gets a clear message (what was wrong, what is allowed) and builds
// nothing: the cache stays empty.

const cache = mkdtempSync(path.join(tmpdir(), 'tispace-image-cli-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

async function image(...args: string[]) {
  const tsx = path.join(IMAGES_DIR, '..', 'node_modules', '.bin', 'tsx');
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, [path.join(IMAGES_DIR, 'cli.ts'), ...args], {
      env: { ...process.env, XDG_CACHE_HOME: cache },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run image', { timeout: 60_000 }, () => {
  it('names the known images when given an unknown one', async () => {
    const r = await image('build', 'fedora-40');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown image 'fedora-40': known images are debian-12, ubuntu-22.04");
  });

  it('says how ubuntu-22.04 is built, since it has no local recipe', async () => {
    const r = await image('build', 'ubuntu-22.04');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('build it from images/ubuntu-22.04/Containerfile');
  });

  it('prints the usage for an unknown command or option', async () => {
    for (const args of [['make', 'debian-12'], ['build'], ['build', 'debian-12', '--fast']]) {
      const r = await image(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('usage: npm run image -- build|tarball|oci <image>');
    }
  });

  it('lists the images, their references and login users', async () => {
    const r = await image('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'debian-12\tghcr.io/tispace/debian:12-v1\tdebian\tlocal (mmdebstrap bookworm)',
    );
    expect(r.stdout).toContain('ubuntu-22.04\tghcr.io/tispace/ubuntu:22.04-v1\tubuntu\tContainerfile only');
  });

  it('built nothing', () => {
    expect(readdirSync(cache)).toEqual([]);
  });
});
