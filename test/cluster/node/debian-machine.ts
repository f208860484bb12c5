// The debian-12 machine on the real node, ready to be created: the image built (cached), imported into the
// node's container storage, its tree published as the golden snapshot in `namespace`; returns the TiSpace
// configuration that points at it (merge into a test's or benchmark's config). Tests and benchmarks.
import type { KubeConfig } from '@kubernetes/client-node';
import { buildImageTree, exportOciImage } from '../../../images/builder.ts';
import { publishTreeAsGolden } from './golden.ts';
import { realNodePool } from './layout.ts';
import { localSnapshotClass, localStorageClass } from './local-volumes.ts';
import { importImage } from './oci-image.ts';

export const DEBIAN_GOLDEN = 'golden-debian-12';

export async function prepareDebianMachine(
  kc: KubeConfig,
  namespace: string,
): Promise<{ tree: string; config: Record<string, unknown> }> {
  const { tree } = await buildImageTree('debian-12');
  const oci = await exportOciImage('debian-12');
  await importImage(oci.layout, oci.tag, oci.reference);
  await publishTreeAsGolden(kc, { namespace, name: DEBIAN_GOLDEN, tree });
  return {
    tree,
    config: {
      devPool: realNodePool,
      snapshotClass: localSnapshotClass,
      images: [
        {
          name: 'debian-12',
          description: 'Debian 12',
          snapshot: DEBIAN_GOLDEN,
          storageClass: localStorageClass,
          containerImage: oci.reference,
          loginUser: 'debian',
          minDiskGiB: 10,
          defaultDiskGiB: 30,
        },
      ],
    },
  };
}
