// kustomize for tests: built once from the Go module pinned in ./go.mod (fetched through the Go module
// proxy, checked against ./go.sum) into ${XDG_CACHE_HOME:-$HOME/.cache}/tispace/tools/kustomize-<version>/,
// then run as `kustomize build <dir>`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

const moduleDir = path.dirname(fileURLToPath(import.meta.url));
const modulePath = 'sigs.k8s.io/kustomize/kustomize/v5';

/** The kustomize version pinned in go.mod (e.g. v5.8.2). */
export const kustomizeVersion: string = (() => {
  const gomod = readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
  const m = gomod.match(/sigs\.k8s\.io\/kustomize\/kustomize\/v5 (v\S+)/);
  if (!m?.[1]) throw new Error(`kustomize version not found in ${moduleDir}/go.mod`);
  return m[1];
})();

function cacheRoot(): string {
  return process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
}

/** Where the binary lives once built. */
export function kustomizeBinaryPath(): string {
  return path.join(cacheRoot(), 'tispace', 'tools', `kustomize-${kustomizeVersion}`, 'kustomize');
}

let building: Promise<string> | undefined;

/** Builds kustomize if it is not cached yet; returns the binary's path. Safe to call concurrently. */
export function ensureKustomize(): Promise<string> {
  building ??= (async () => {
    const bin = kustomizeBinaryPath();
    if (existsSync(bin)) return bin;
    await mkdir(path.dirname(bin), { recursive: true });
    // Build to a unique name, then rename: another process building at the same time cannot leave a
    // half-written binary behind.
    const tmp = `${bin}.tmp-${process.pid}-${Date.now()}`;
    try {
      await run('go', ['build', '-trimpath', '-o', tmp, modulePath], {
        cwd: moduleDir,
        env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly`.trim() },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 15 * 60_000,
      });
      await rename(tmp, bin);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return bin;
  })();
  building.catch(() => {
    building = undefined;
  });
  return building;
}

/** `kustomize build <dir>`: the rendered multi-document YAML. */
export async function kustomizeBuild(dir: string): Promise<string> {
  const bin = await ensureKustomize();
  const { stdout } = await run(bin, ['build', dir], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return stdout;
}

const overlaysDir = path.resolve(moduleDir, '../../../manifests/overlays');

/** The repository's overlays: the directories of manifests/overlays/. */
export const overlayNames: readonly string[] = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** A rendered object, as far as the tests look at every one. */
export type RenderedObject = { kind?: string; metadata?: { name?: string; namespace?: string } };

/** Every overlay rendered (`kustomize build`) and parsed: overlay name → its objects. */
export async function renderOverlays(): Promise<Map<string, RenderedObject[]>> {
  const rendered = new Map<string, RenderedObject[]>();
  for (const overlay of overlayNames) {
    const text = await kustomizeBuild(path.join(overlaysDir, overlay));
    rendered.set(
      overlay,
      parseAllDocuments(text).map((d) => d.toJS() as RenderedObject),
    );
  }
  return rendered;
}
