// The front ends (bot/, web/) reach the provisioner only through provisioner/api.ts, and what that API hands
// them cannot take the scheduled jobs' policy actions or touch the store.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { jobsWorld } from '../provisioner/jobs/support.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const provisioner = path.join(root, 'provisioner');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('the front ends’ boundary', () => {
  const w = jobsWorld();
  afterAll(() => w.close());

  it('bot/ and web/ import nothing of provisioner/ but api.ts', () => {
    const crossings = ['bot', 'web'].flatMap((area) =>
      sourceFiles(path.join(root, area)).flatMap((file) =>
        ts
          .preProcessFile(readFileSync(file, 'utf8'), true, true)
          .importedFiles.map((i) => path.resolve(path.dirname(file), i.fileName))
          .filter(
            (target) => target.startsWith(`${provisioner}/`) && target !== path.join(provisioner, 'api.ts'),
          )
          .map((target) => `${path.relative(root, file)} -> ${path.relative(root, target)}`),
      ),
    );
    expect(crossings).toEqual([]);
  });

  it('the API a front end holds has no policy action and no store; the jobs’ policy actions are apart', () => {
    const api = w.provisioner.api as unknown as Record<string, unknown>;
    for (const hidden of ['stopForPolicy', 'deleteForPolicy', 'store', 'd'])
      expect(api[hidden], hidden).toBeUndefined();
    expect(typeof api.stop).toBe('function');
    expect(Object.keys(w.provisioner.policy).sort()).toEqual([
      'deleteForPolicy',
      'offboard',
      'stopForPolicy',
    ]);
  });
});
