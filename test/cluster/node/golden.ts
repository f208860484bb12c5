// Publishes a machine tree as a golden VolumeSnapshot of the real node's storage class: the tree is copied
// straight into the source PVC's btrfs subvolume (this host is the node, so no Job image is needed), then
// snapshotted read-only. Used by the tests and by `npm run dev`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { seedGolden } from '../golden.ts';
import { localSnapshotClass, localStorageClass } from './local-volumes.ts';

export function publishTreeAsGolden(
  kc: KubeConfig,
  o: { namespace: string; name: string; tree: string },
): Promise<void> {
  return seedGolden(kc, {
    namespace: o.namespace,
    name: o.name,
    storageClass: localStorageClass,
    snapshotClass: localSnapshotClass,
    fill: (pv) => {
      const dir = pv.spec?.local?.path;
      if (!dir) throw new Error(`PV ${pv.metadata?.name} has no local path`);
      // A copy cut short is redone whole: the image's marker file is the last thing `cp -a` could miss.
      if (!existsSync(path.join(dir, 'etc', 'tispace-golden')))
        execFileSync('cp', ['-a', `${o.tree}/.`, `${dir}/`]);
    },
  });
}
