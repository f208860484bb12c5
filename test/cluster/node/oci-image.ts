import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { containersStorageRef } from './layout.ts';

const run = promisify(execFile);

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function writeBlob(layout: string, content: string): { digest: string; size: number } {
  const hex = createHash('sha256').update(content).digest('hex');
  writeFileSync(path.join(layout, 'blobs', 'sha256', hex), content);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(content) };
}

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
}

/**
 * Writes a one-layer OCI image layout of `tree` (uncompressed tar layer) at `layout`, tagged `tag`.
 * Used for the node's own check image (busybox); the instance image comes from images/.
 */
export async function ociLayoutFromTree(tree: string, layout: string, tag: string, config: ImageConfig) {
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  const layerTmp = path.join(layout, 'layer.tar');
  await run('tar', ['--numeric-owner', '-C', tree, '-cf', layerTmp, '.']);
  const layerHex = await sha256File(layerTmp);
  const layerSize = statSync(layerTmp).size;
  renameSync(layerTmp, path.join(layout, 'blobs', 'sha256', layerHex));
  const cfg = writeBlob(
    layout,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
    }),
  );
  const manifest = writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: `sha256:${layerHex}`,
          size: layerSize,
        },
      ],
    }),
  );
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
}

/**
 * Copies an OCI image (layout dir + tag) into the node's container storage as `reference`, with skopeo
 * and no registry, so the kubelet finds it locally (imagePullPolicy IfNotPresent).
 */
export async function importImage(layout: string, tag: string, reference: string): Promise<void> {
  await run('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    `oci:${layout}:${tag}`,
    containersStorageRef(reference),
  ]);
}

/**
 * The node's small image: Debian's static busybox with its applets, and `/pause` (sleeps forever). It is
 * cri-o's pause image (never pulled: nothing is) and the image of the tests' plain Pods.
 */
export const busyboxImage = 'localhost/tispace/busybox:1';

export async function importBusyboxImage(): Promise<string> {
  const work = mkdtempSync(path.join(tmpdir(), 'tispace-busybox-'));
  try {
    const tree = path.join(work, 'tree');
    mkdirSync(path.join(tree, 'bin'), { recursive: true });
    for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(path.join(tree, d));
    await run('cp', ['/bin/busybox', path.join(tree, 'bin', 'busybox')]);
    const { stdout } = await run('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter(Boolean)) {
      if (!existsSync(path.join(tree, 'bin', applet))) symlinkSync('busybox', path.join(tree, 'bin', applet));
    }
    writeFileSync(path.join(tree, 'pause'), '#!/bin/sh\nexec sleep 2147483647\n', { mode: 0o755 });
    await ociLayoutFromTree(tree, path.join(work, 'layout'), '1', { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] });
    await importImage(path.join(work, 'layout'), '1', busyboxImage);
    return busyboxImage;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
