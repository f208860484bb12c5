// Helpers for integration tests on the real worker node (test/cluster/node/): its images, Pods placed on
// it, logs and exec through the API server.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Exec, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { realNodePool } from '../../cluster/node/layout.ts';
import { importImage, ociLayoutFromTree } from '../../cluster/node/oci-image.ts';
import { kubeConfig } from './cluster.ts';

/** Whether the global setup started the real node (as root, unless TISPACE_REAL_NODE=0). */
export function realNodeRunning(): boolean {
  return inject('realNode') === true;
}

export const busyboxImage = 'localhost/tispace-test/busybox:1';

let busyboxImported = false;

/** Imports (once per run) a one-layer busybox image into the node's container storage. */
export async function ensureBusyboxImage(): Promise<string> {
  if (busyboxImported) return busyboxImage;
  const work = mkdtempSync(path.join(tmpdir(), 'tispace-busybox-'));
  try {
    const tree = path.join(work, 'tree');
    mkdirSync(path.join(tree, 'bin'), { recursive: true });
    for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(path.join(tree, d));
    execFileSync('cp', ['/bin/busybox', path.join(tree, 'bin', 'busybox')]);
    const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (const a of applets)
      if (!existsSync(path.join(tree, 'bin', a))) symlinkSync('busybox', path.join(tree, 'bin', a));
    await ociLayoutFromTree(tree, path.join(work, 'layout'), '1', {
      Cmd: ['/bin/sh'],
      Env: ['PATH=/bin'],
    });
    await importImage(path.join(work, 'layout'), '1', busyboxImage);
    busyboxImported = true;
    return busyboxImage;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Node selector and toleration that put a Pod on the real node (and only there). */
export const onRealNode: Pick<NonNullable<V1Pod['spec']>, 'nodeSelector' | 'tolerations'> = {
  nodeSelector: realNodePool.nodeSelector,
  tolerations: realNodePool.tolerations,
};

/** Runs `command` in a container through the API server (the kubelet's exec); returns stdout and status. */
export async function execInPod(
  namespace: string,
  pod: string,
  container: string,
  command: string[],
): Promise<{ stdout: string; stderr: string; status: V1Status }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kubeConfig())
      .exec(
        namespace,
        pod,
        container,
        command,
        sink((s) => {
          stdout += s;
        }),
        sink((s) => {
          stderr += s;
        }),
        null,
        false,
        resolve,
      )
      .catch(reject);
  });
  return { stdout, stderr, status };
}
