// The real node's storage: the fake CSI controller (../fake-csi.ts) with a btrfs backend, run by `up
// --real-node` as its own process: `node --import tsx test/cluster/node/local-volumes.ts <kubeconfig> <pool>`.
// A PVC of the `tispace-local` class becomes a `local` PV pinned to the node whose directory is a btrfs
// subvolume of the loop-mounted pool; a VolumeSnapshot is a read-only btrfs snapshot; a PVC restoring a
// snapshot is a writable snapshot of it — copy-on-write, like RBD clones in production.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { FakeCsi, type VolumeBackend } from '../fake-csi.ts';
import { nodeName } from './layout.ts';

const run = promisify(execFile);

export const localDriver = 'local.tispace.io';
export const localStorageClass = 'tispace-local';
export const localSnapshotClass = 'tispace-local-snapclass';

const safeName = (name: string) => {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`not a volume or snapshot name: ${name}`);
  return name;
};

async function btrfs(...args: string[]): Promise<void> {
  await run('btrfs', ['-q', ...args]);
}

/** Volumes are subvolumes `<pool>/vols/<pv>`, snapshots read-only subvolumes `<pool>/snaps/<handle>`. */
export function btrfsBackend(pool: string): VolumeBackend {
  const vol = (name: string) => path.join(pool, 'vols', safeName(name));
  const snap = (handle: string) => path.join(pool, 'snaps', safeName(handle));
  return {
    async createVolume(pvc, _parameters, fromSnapshotHandle) {
      const target = vol(`pvc-${pvc.metadata?.uid}`);
      if (!existsSync(target)) {
        if (fromSnapshotHandle) await btrfs('subvolume', 'snapshot', snap(fromSnapshotHandle), target);
        else await btrfs('subvolume', 'create', target);
      }
      return {
        local: { path: target },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
            ],
          },
        },
      };
    },
    async deleteVolume(pv) {
      const target = vol(pv.metadata?.name ?? '');
      if (existsSync(target)) await btrfs('subvolume', 'delete', target);
    },
    async createSnapshot(pv, name) {
      const target = snap(name);
      if (!existsSync(target))
        await btrfs('subvolume', 'snapshot', '-r', vol(pv.metadata?.name ?? ''), target);
      return name;
    },
    async deleteSnapshot(handle) {
      const target = snap(handle);
      if (existsSync(target)) await btrfs('subvolume', 'delete', target);
    },
  };
}

const isMain = process.argv[1]?.endsWith('local-volumes.ts');
if (isMain) {
  const [kubeconfig, pool] = process.argv.slice(2);
  if (!kubeconfig || !pool) {
    process.stderr.write('usage: node --import tsx test/cluster/node/local-volumes.ts <kubeconfig> <pool>\n');
    process.exit(2);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const csi = new FakeCsi(kc, localDriver, btrfsBackend(pool));
  const shutdown = () => {
    csi.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdout.write(`${JSON.stringify({ msg: 'local-volumes starting', driver: localDriver, pool })}\n`);
  void csi.start();
}
