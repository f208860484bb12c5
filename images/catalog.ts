import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where this folder is: the provisioning scripts and Containerfiles live beside this file. */
export const IMAGES_DIR = path.dirname(fileURLToPath(import.meta.url));

/** How the local builder makes a tree from a Debian-family archive (mmdebstrap). */
export interface DebianBootstrap {
  suite: string;
  /** One-line apt sources, the first being the suite's main archive. */
  sources: string[];
}

export interface ImageDefinition {
  /** The catalog name (TISPACE_CONFIG images[].name). */
  name: string;
  /** The provisioning script's family: images/<family>/provision.sh. */
  family: 'debian';
  /** uid 1000, passwordless sudo, in group docker (images[].loginUser). */
  loginUser: string;
  /** Versioned image reference (images[].containerImage, the golden-image Job's image). */
  reference: string;
  /** The local builder's recipe; absent when only the Containerfile builds it. */
  bootstrap?: DebianBootstrap;
}

/**
 * Every image TiSpace defines. The default catalog (provisioner/config/schema.ts), the Containerfiles
 * (images/<name>/Containerfile) and the golden-image Jobs (ceph/golden-image/) must name the same
 * references and login users; a test reads all of them.
 */
export const IMAGES: readonly ImageDefinition[] = [
  {
    name: 'debian-12',
    family: 'debian',
    loginUser: 'debian',
    reference: 'ghcr.io/tispace/debian:12-v1',
    bootstrap: {
      suite: 'bookworm',
      sources: [
        'deb http://deb.debian.org/debian bookworm main',
        'deb http://deb.debian.org/debian bookworm-updates main',
        'deb http://deb.debian.org/debian-security bookworm-security main',
      ],
    },
  },
  // Ubuntu's archive is not reachable from where the tests run: its tree is made only by the
  // Containerfile (the same script), and checked statically.
  {
    name: 'ubuntu-22.04',
    family: 'debian',
    loginUser: 'ubuntu',
    reference: 'ghcr.io/tispace/ubuntu:22.04-v1',
  },
];

export function findImage(name: string): ImageDefinition {
  const image = IMAGES.find((i) => i.name === name);
  if (!image) {
    throw new Error(`unknown image '${name}': known images are ${IMAGES.map((i) => i.name).join(', ')}`);
  }
  return image;
}

export function provisionScript(image: ImageDefinition): string {
  return path.join(IMAGES_DIR, image.family, 'provision.sh');
}

export function containerfile(image: ImageDefinition): string {
  return path.join(IMAGES_DIR, image.name, 'Containerfile');
}
