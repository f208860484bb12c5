import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type BuildOptions,
  bootstrapTree,
  capture,
  defaultLog,
  imageCacheRoot,
  publish,
  requireRoot,
  umociLayout,
} from './builder.ts';
import { findImage, IMAGES_DIR } from './catalog.ts';

/**
 * The SSH gateway image (images/gateway/) built locally: a Debian 12 minbase tree made by mmdebstrap from
 * the same archive as the debian-12 machine, provisioned by images/gateway/provision.sh (which the
 * Containerfile runs too), exported as an OCI layout whose entrypoint is the shipped tispace-gateway.
 * Cached in ~/.cache/tispace/images/gateway-<key>/, keyed by every file of images/gateway/.
 */

export const GATEWAY_DIR = path.join(IMAGES_DIR, 'gateway');
/** What the local build is tagged as (an overlay's `images:` entry points the manifests at it). */
export const GATEWAY_LOCAL_REFERENCE = 'localhost/tispace/gateway:local';

/** Bump when how the tree is made changes outside images/gateway/. */
const RECIPE = 1;

/** Everything that shapes the image: each file of images/gateway/ (but its README), the recipe, the arch. */
function cacheKey(): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ recipe: RECIPE, arch: process.arch, bootstrap: debianBootstrap() }));
  for (const file of readdirSync(GATEWAY_DIR).sort()) {
    if (file === 'README.md') continue;
    hash.update(`\0${file}\0`).update(readFileSync(path.join(GATEWAY_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

function debianBootstrap() {
  const bootstrap = findImage('debian-12').bootstrap;
  if (!bootstrap) throw new Error('the debian-12 image has no local recipe to bootstrap the gateway from');
  return bootstrap;
}

export interface GatewayImage {
  tree: string;
  /** OCI image layout directory and the tag in it. */
  layout: string;
  tag: string;
  reference: string;
  cached: boolean;
}

/** Builds (or finds in the cache) the gateway's tree and OCI layout. Root only for a build. */
export async function buildGatewayImage(opts: BuildOptions = {}): Promise<GatewayImage> {
  const log = opts.log ?? defaultLog;
  const dir = path.join(imageCacheRoot(), `gateway-${cacheKey()}`);
  const tree = path.join(dir, 'rootfs');
  const layout = path.join(dir, 'oci');
  const tag = 'local';
  const result = { tree, layout, tag, reference: GATEWAY_LOCAL_REFERENCE };
  const marker = path.join(dir, 'complete');
  if (existsSync(marker) && !opts.rebuild) {
    log(`[image] gateway: cached ${dir}`);
    return { ...result, cached: true };
  }
  requireRoot('building the gateway image');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const scratchTree = path.join(dir, `.rootfs-${process.pid}`);
  const scratchLayout = path.join(dir, `.oci-${process.pid}`);
  const script = path.join(GATEWAY_DIR, 'provision.sh');
  log(`[image] gateway: building ${tree} with mmdebstrap …`);
  try {
    const packages = (await capture('sh', [script, 'packages'])).trim().split('\n');
    await bootstrapTree(
      scratchTree,
      { bootstrap: debianBootstrap(), packages, configure: `sh ${script} configure "$1" ${GATEWAY_DIR}` },
      log,
    );
    // As the Containerfile says: the entrypoint, port 2222, the PATH of debian:12-slim.
    await umociLayout(
      scratchTree,
      `${scratchLayout}:${tag}`,
      [
        '--config.entrypoint=/usr/local/bin/tispace-gateway',
        '--config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--config.exposedports=2222/tcp',
        `--config.label=org.opencontainers.image.ref.name=${GATEWAY_LOCAL_REFERENCE}`,
      ],
      log,
    );
    publish(scratchTree, tree);
    publish(scratchLayout, layout);
  } finally {
    rmSync(scratchTree, { recursive: true, force: true });
    rmSync(scratchLayout, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(marker, `${JSON.stringify({ seconds, builtAt: new Date().toISOString() })}\n`);
  log(`[image] gateway: built in ${seconds} s`);
  return { ...result, cached: false };
}
