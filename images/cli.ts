import { parseArgs } from 'node:util';
import { buildImageTree, exportOciImage, exportTarball } from './builder.ts';
import { IMAGES } from './catalog.ts';

/**
 * npm run image -- build <name> [--rebuild]     the root tree; its path is the last line
 * npm run image -- tarball <name>               the tree as a tarball; its path is the last line
 * npm run image -- oci <name>                   an OCI image layout; `oci:<layout>:<tag> <reference>` last
 * npm run image -- list                         the images and whether they build locally
 * Progress goes to stderr, so `tree=$(npm run -s image -- build debian-12)` works.
 */
const usage = `usage: npm run image -- build|tarball|oci <image> [--rebuild]
       npm run image -- list
images: ${IMAGES.map((i) => i.name).join(', ')}`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const [command, name, ...rest] = parsed.positionals;
  const opts = { rebuild: parsed.values.rebuild ?? false };
  if (command === 'list' && !name) {
    for (const i of IMAGES) {
      const how = i.bootstrap ? `local (mmdebstrap ${i.bootstrap.suite})` : 'Containerfile only';
      process.stdout.write(`${i.name}\t${i.reference}\t${i.loginUser}\t${how}\n`);
    }
    return 0;
  }
  if (!command || !name || rest.length > 0 || !['build', 'tarball', 'oci'].includes(command)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (command === 'build') {
    const { tree } = await buildImageTree(name, opts);
    process.stdout.write(`${tree}\n`);
  } else if (command === 'tarball') {
    const { tarball } = await exportTarball(name, opts);
    process.stdout.write(`${tarball}\n`);
  } else {
    const { layout, tag, reference } = await exportOciImage(name, opts);
    process.stdout.write(`oci:${layout}:${tag} ${reference}\n`);
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: { rebuild: { type: 'boolean' } } });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`image: ${err.message}\n`);
    process.exitCode = 1;
  },
);
