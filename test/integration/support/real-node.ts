// Helpers for integration tests on the real worker node (test/cluster/node/): its images, Pods placed on
// it, logs and exec through the API server.
import { Writable } from 'node:stream';
import { CoreV1Api, Exec, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { publishTreeAsGolden as publishGolden } from '../../cluster/node/golden.ts';
import { realNodePool } from '../../cluster/node/layout.ts';
import { busyboxImage } from '../../cluster/node/oci-image.ts';
import { kubeConfig } from './cluster.ts';

/** Whether the global setup started the real node (as root, unless TISPACE_REAL_NODE=0). */
export function realNodeRunning(): boolean {
  return inject('realNode') === true;
}

export { busyboxImage };

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

/** Publishes `tree` as a golden VolumeSnapshot of the real node's storage class (../../cluster/node/golden.ts). */
export function publishTreeAsGolden(namespace: string, name: string, tree: string): Promise<void> {
  return publishGolden(kubeConfig(), { namespace, name, tree });
}

/** The btrfs subvolume directory behind a PVC (on this host: the node is this machine). */
export async function pvcDirectory(namespace: string, pvcName: string): Promise<string> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: pvcName, namespace });
  const pv = await core.readPersistentVolume({ name: pvc.spec?.volumeName ?? '' });
  const dir = pv.spec?.local?.path;
  if (!dir) throw new Error(`PVC ${namespace}/${pvcName} has no local volume`);
  return dir;
}

export { freshSshKey, runPrintedSsh } from '../../support/ssh-client.ts';
