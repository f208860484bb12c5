// The Kata RuntimeClass, the install docs, the cri-o patch and the local cluster's nodes agree (issue 14,
// items 9a, 9c, 9d): instances are scheduled only onto nodes the patched-cri-o install labelled, the docs
// tell the operator to set that label, the test cluster's nodes (real and simulated) carry it, and the
// handlers TiSpace accepts at start-up are the ones the cri-o patch honours its annotation under.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1RuntimeClass } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KATA_HANDLERS } from '../../provisioner/config/schema.ts';
import { realNodeLabels } from '../cluster/node/layout.ts';
import { repoRoot } from '../cluster/paths.ts';
import { kwokNode, patchedCrioLabel, platformObjects } from '../cluster/seed.ts';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const runtimeClass = parse(read('kata/runtimeclass.yaml')) as V1RuntimeClass;
const selector = runtimeClass.scheduling?.nodeSelector ?? {};

describe('kata/runtimeclass.yaml', () => {
  it('schedules only onto nodes labelled by the patched-cri-o install and by kata-deploy', () => {
    expect(selector).toEqual({
      'katacontainers.io/kata-runtime': 'true',
      [patchedCrioLabel.key]: patchedCrioLabel.value,
    });
  });

  it('docs/deploying.md and crio/README.md tell the operator to set that label with the cri-o install', () => {
    const command = `kubectl label node <node> ${patchedCrioLabel.key}=${patchedCrioLabel.value}`;
    const doc = read('docs/deploying.md');
    const kataStep = doc.slice(doc.indexOf('## 3.'), doc.indexOf('## 4.'));
    expect(kataStep).toContain('patch');
    expect(kataStep).toContain(command);
    expect(read('crio/README.md')).toContain(`\`${patchedCrioLabel.key}=${patchedCrioLabel.value}\``);
  });

  it('the local cluster uses the same selector, and its real and simulated nodes carry every label of it', () => {
    const seeded = platformObjects().find((o) => o.kind === 'RuntimeClass') as V1RuntimeClass;
    expect(seeded.handler).toBe(runtimeClass.handler);
    expect(seeded.scheduling?.nodeSelector).toEqual(selector);
    expect(realNodeLabels).toMatchObject(selector);
    expect(kwokNode('dev-1').metadata?.labels).toMatchObject(selector);
  });

  it('its handler is accepted at start-up, and the cri-o patch honours the same Kata handlers', () => {
    expect(KATA_HANDLERS).toContain(runtimeClass.handler);
    const patch = read('crio/patches/0001-rootfs-from-volume.patch');
    const goList = /^\+var KataHandlers = \[\]string\{\n([\s\S]*?)^\+\}/m.exec(patch)?.[1] ?? '';
    const goHandlers = [...goList.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(goHandlers).toEqual([...KATA_HANDLERS]);
  });
});
