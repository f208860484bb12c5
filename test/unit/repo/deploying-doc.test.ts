// docs/deploying.md, read as a new user follows it: every file of this repository it names exists (and
// every README section it points to), the Google redirect URI is the one the app serves, and the
// prerequisites include what TiSpace reads (metrics-server for idle detection).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALLBACK_PATH } from '../../../bot/identity/google-link.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const doc = readFileSync(path.join(root, 'docs', 'deploying.md'), 'utf8');
const topLevel = new Set(readdirSync(root).filter((f) => !f.startsWith('.') && f !== 'node_modules'));

/** Inline code spans and the words of code blocks, with links to other sites removed first. */
function codeWords(markdown: string): string[] {
  const text = markdown.replace(/\[[^\]]*\]\(https?:[^)]*\)/g, '');
  const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const inline = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...inline].flatMap((t) => t.split(/[\s=,;()'"]+/)).filter(Boolean);
}

/** A word naming a file or directory of this repository: its first element is a top-level entry. */
function repoPaths(words: string[]): string[] {
  return words
    .map((w) => w.replace(/^\.\//, '').replace(/[.:]$/, ''))
    .filter((w) => !/[<>…*]|^https?:|^-/.test(w))
    .filter((w) => topLevel.has(w.split('/')[0] ?? '') || /\.(md|ya?ml|sh|ts|json|toml|conf|patch)$/.test(w));
}

describe('docs/deploying.md', () => {
  it('every file of this repository it names exists', () => {
    const named = [...new Set(repoPaths(codeWords(doc)))];
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((p) => !existsSync(path.join(root, p)))).toEqual([]);
  });

  it('every README section it points to exists', () => {
    const refs = [...doc.matchAll(/`([\w/.-]+\.md)`, "([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, file, section] of refs) {
      const headings = readFileSync(path.join(root, file ?? ''), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/^#+\s*/, ''));
      expect(headings, `${file}: "${section}"`).toContain(section);
    }
  });

  it('gives the Google redirect URI the app serves, since TiSpace cannot print it before it runs', () => {
    expect(doc).toContain(`\`PUBLIC_URL${CALLBACK_PATH}\``);
    expect(doc).not.toMatch(/redirect URI TiSpace prints/);
  });

  it('lists metrics-server as a prerequisite (idle detection reads metrics.k8s.io)', () => {
    const requirements = doc.slice(doc.indexOf('Requirements'), doc.indexOf('## 1.'));
    expect(requirements).toContain('metrics-server');
  });
});
