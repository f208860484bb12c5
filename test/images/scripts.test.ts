import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildImageTree } from '../../images/builder.ts';
import { IMAGES, IMAGES_DIR, provisionScript } from '../../images/catalog.ts';
import { tryRun } from './support/machine.ts';

// Every shell script the images are made of, linted by ShellCheck: the provisioning script, the
// scripts it installs in the tree (sshd's key command, the rootfs guard) and the golden-image Jobs'.

const asRoot = process.getuid?.() === 0;
const repo = path.resolve(IMAGES_DIR, '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-shellcheck-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function shellcheck(file: string) {
  const r = await tryRun('shellcheck', ['--format=gcc', file]);
  return `${r.stdout}${r.stderr}`.trim();
}

describe.skipIf(!asRoot)('image shell scripts (ShellCheck)', () => {
  let tree = '';
  beforeAll(async () => {
    tree = (await buildImageTree('debian-12', { log: (l) => process.stderr.write(`${l}\n`) })).tree;
  }, 1_200_000);

  it('the provisioning scripts', async () => {
    for (const family of new Set(IMAGES.map((i) => provisionScript(i)))) {
      expect(await shellcheck(family), family).toBe('');
    }
  });

  it('the scripts installed in the tree', async () => {
    for (const f of ['usr/local/lib/tispace/authorized-keys', 'usr/local/lib/tispace/rootfs-guard']) {
      expect(await shellcheck(path.join(tree, f)), f).toBe('');
    }
  });

  it("the golden-image Jobs' scripts, as the Job runs them", async () => {
    for (const image of IMAGES) {
      const docs = parseAllDocuments(
        readFileSync(path.join(repo, 'ceph', 'golden-image', `${image.name}.yaml`), 'utf8'),
      );
      // biome-ignore lint/suspicious/noExplicitAny: the Job manifest
      const job = docs.map((d) => d.toJSON() as any).find((d) => d.kind === 'Job');
      const container = job.spec.template.spec.containers[0];
      expect(container.command).toEqual(['/bin/bash', '-euo', 'pipefail', '-c']);
      const file = path.join(scratch, `${image.name}.sh`);
      writeFileSync(file, `#!/bin/bash\nset -euo pipefail\n${container.args.join('\n')}`);
      expect(await shellcheck(file), image.name).toBe('');
    }
    expect(await shellcheck(path.join(repo, 'ceph', 'golden-image', 'build.sh'))).toBe('');
  });
});
