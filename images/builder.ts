import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { type DebianBootstrap, findImage, type ImageDefinition, provisionScript } from './catalog.ts';

/**
 * The local builder: a TiSpace machine's root tree from the distribution's own archive (mmdebstrap),
 * provisioned by the same script as the Containerfiles, cached by everything that shapes it.
 */

export interface BuildOptions {
  log?: (line: string) => void;
  /** Build even if a cached tree exists (the archive moved on: security updates). */
  rebuild?: boolean;
}

export interface BuiltTree {
  /** The root tree: owned by root, ready to be copied (cp -a) onto a volume or booted by runc. */
  tree: string;
  scriptHash: string;
  cached: boolean;
}

/** Bump when how a tree is made changes outside the script (mmdebstrap options, hooks). */
const RECIPE = 1;

export const defaultLog = (line: string) => process.stderr.write(`${line}\n`);

/** ${XDG_CACHE_HOME:-~/.cache}/tispace/images, shared by every checkout. */
export function imageCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'tispace', 'images');
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function scriptHash(image: ImageDefinition): string {
  return sha256(readFileSync(provisionScript(image)));
}

function bootstrapOf(image: ImageDefinition) {
  if (!image.bootstrap) {
    throw new Error(
      `image '${image.name}' has no local recipe: build it from images/${image.name}/Containerfile ` +
        `(podman build -f images/${image.name}/Containerfile images); locally buildable: debian-12`,
    );
  }
  return image.bootstrap;
}

/** The cache key: the script's hash and every other input of the build. */
function cacheKey(image: ImageDefinition, script: string): string {
  const inputs = { recipe: RECIPE, arch: process.arch, bootstrap: bootstrapOf(image), script };
  return sha256(JSON.stringify(inputs)).slice(0, 16);
}

/** Where one build of an image lives: <cache>/<name>-<key>/{rootfs,oci,<name>.tar}. */
export function imageCacheDir(name: string): string {
  const image = findImage(name);
  return path.join(imageCacheRoot(), `${image.name}-${cacheKey(image, scriptHash(image))}`);
}

/** Runs a command, every output line to `log`; rejects with the last lines when it fails. */
function run(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        log(`  ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) =>
      reject(
        new Error(
          `${cmd}: ${err.message} (is it installed? images/ci-packages.txt lists what the builder needs)`,
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${cmd} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`),
        );
    });
  });
}

/** Moves a finished scratch directory into place; if another build got there first, keeps theirs. */
export function publish(scratch: string, final: string): void {
  try {
    renameSync(scratch, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs root (owners, device nodes and chroot in the tree): run it with sudo`);
  }
}

/**
 * Builds (or finds in the cache) the root tree of image `name`. Cached under
 * ~/.cache/tispace/images/<name>-<key>/rootfs, keyed by the provisioning script's hash and the
 * archive it comes from; a tree is only ever published complete.
 */
export async function buildImageTree(name: string, opts: BuildOptions = {}): Promise<BuiltTree> {
  const log = opts.log ?? defaultLog;
  const image = findImage(name);
  const bootstrap = bootstrapOf(image);
  // The script is read once: the tree is made by exactly the content its key and record name.
  const content = readFileSync(provisionScript(image));
  const hash = sha256(content);
  const dir = path.join(imageCacheRoot(), `${image.name}-${cacheKey(image, hash)}`);
  const tree = path.join(dir, 'rootfs');
  const marker = path.join(dir, 'complete');
  if (existsSync(marker) && !opts.rebuild) {
    log(`[image] ${name}: cached tree ${tree}`);
    return { tree, scriptHash: hash, cached: true };
  }
  requireRoot(`building image ${name}`);
  if (opts.rebuild) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const scratch = path.join(dir, `.rootfs-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  const script = path.join(dir, 'provision.sh');
  writeFileSync(script, content, { mode: 0o755 });
  log(`[image] ${name}: building ${tree} with mmdebstrap (${bootstrap.suite}) …`);
  try {
    const packages = await capture('bash', [script, 'packages']);
    await bootstrapTree(
      scratch,
      {
        bootstrap,
        packages: packages.trim().split('\n'),
        configure: `bash ${script} configure "$1" ${image.name} ${image.loginUser}`,
      },
      log,
    );
    rmSync(tree, { recursive: true, force: true });
    publish(scratch, tree);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(
    marker,
    `${JSON.stringify({ scriptHash: hash, seconds, builtAt: new Date().toISOString() })}\n`,
  );
  log(`[image] ${name}: built in ${seconds} s`);
  return { tree, scriptHash: hash, cached: false };
}

/**
 * mmdebstrap: a minbase tree of `bootstrap.suite` with `packages` (no Recommends) at `scratch`, then
 * `configure` run as a hook with the tree as "$1". Downloaded packages are kept between builds in
 * <cache>/debs/<suite> (a script change downloads nothing again). Root only.
 */
export async function bootstrapTree(
  scratch: string,
  recipe: { bootstrap: DebianBootstrap; packages: string[]; configure: string },
  log: (line: string) => void,
): Promise<void> {
  const debs = path.join(imageCacheRoot(), 'debs', recipe.bootstrap.suite);
  mkdirSync(debs, { recursive: true });
  await run(
    'mmdebstrap',
    [
      '--variant=minbase',
      '--mode=root',
      '--format=directory',
      '--aptopt=APT::Install-Recommends "false"',
      `--include=${recipe.packages.join(',')}`,
      `--setup-hook=mkdir -p "$1"/var/cache/apt/archives && cp -a ${debs}/. "$1"/var/cache/apt/archives/`,
      '--skip=download/empty',
      '--skip=essential/unlink',
      `--customize-hook=cp -a "$1"/var/cache/apt/archives/*.deb ${debs}/ 2>/dev/null || true`,
      `--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb`,
      `--customize-hook=${recipe.configure}`,
      recipe.bootstrap.suite,
      scratch,
      ...recipe.bootstrap.sources,
    ],
    log,
  );
}

export function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`)),
    );
  });
}

/** The tree as a tarball (numeric owners, xattrs, ACLs): <cache>/<name>-<key>/<name>.tar. */
export async function exportTarball(name: string, opts: BuildOptions = {}): Promise<{ tarball: string }> {
  const log = opts.log ?? defaultLog;
  const { tree } = await buildImageTree(name, opts);
  const tarball = path.join(path.dirname(tree), `${name}.tar`);
  if (existsSync(tarball)) return { tarball };
  const scratch = `${tarball}.${process.pid}`;
  try {
    await run(
      'tar',
      ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '-C', tree, '-cf', scratch, '.'],
      log,
    );
    renameSync(scratch, tarball);
  } finally {
    rmSync(scratch, { force: true });
  }
  log(`[image] ${name}: tarball ${tarball}`);
  return { tarball };
}

/**
 * An OCI image layout at `ref` (`<dir>:<tag>`, the directory new) holding `tree` as one layer, with the
 * image configuration of `config` (umoci config flags), garbage-collected.
 */
export async function umociLayout(
  tree: string,
  ref: string,
  config: string[],
  log: (line: string) => void,
): Promise<void> {
  const dir = ref.slice(0, ref.lastIndexOf(':'));
  await run('umoci', ['init', '--layout', dir], log);
  await run('umoci', ['new', '--image', ref], log);
  await run('umoci', ['insert', '--image', ref, tree, '/'], log);
  await run('umoci', ['config', '--image', ref, ...config], log);
  await run('umoci', ['gc', '--layout', dir], log);
}

/** The tag the OCI layout holds the image under: the reference's tag (ghcr.io/tispace/debian:12-v1 → 12-v1). */
export function ociTag(reference: string): string {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash ? reference.slice(colon + 1) : 'latest';
}

/**
 * The tree as an OCI image layout (umoci), configured to boot as a Pod boots it: Entrypoint
 * /sbin/init, `container=oci`, stop signal SIGRTMIN+3. Feed a node with
 * `skopeo copy oci:<layout>:<tag> containers-storage:<reference>`.
 */
export async function exportOciImage(
  name: string,
  opts: BuildOptions = {},
): Promise<{ layout: string; reference: string; tag: string }> {
  const log = opts.log ?? defaultLog;
  const image = findImage(name);
  const { tree, scriptHash: hash } = await buildImageTree(name, opts);
  const layout = path.join(path.dirname(tree), 'oci');
  const tag = ociTag(image.reference);
  const result = { layout, reference: image.reference, tag };
  if (existsSync(path.join(layout, 'index.json'))) return result;
  const scratch = `${layout}.${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  log(`[image] ${name}: OCI image ${image.reference} in ${layout} …`);
  try {
    await umociLayout(
      tree,
      `${scratch}:${tag}`,
      [
        '--config.entrypoint=/sbin/init',
        '--config.env=container=oci',
        '--config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--config.stopsignal=SIGRTMIN+3',
        `--config.label=io.tispace.image=${image.name}`,
        `--config.label=io.tispace.login-user=${image.loginUser}`,
        `--config.label=io.tispace.script-sha256=${hash}`,
        `--config.label=org.opencontainers.image.ref.name=${image.reference}`,
      ],
      log,
    );
    publish(scratch, layout);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}
