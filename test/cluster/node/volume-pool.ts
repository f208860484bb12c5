import { execFile } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkoutId, nodePaths } from './layout.ts';

const run = promisify(execFile);

/** The sparse file holding this checkout's btrfs volume pool (RBD's pool in production). */
export function volumePoolFile(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'tispace', 'volumes', `${checkoutId}.btrfs`);
}

/** Where the pool is mounted while the node runs (below the node's state dir: `down` unmounts it). */
export const volumePoolMount = path.join(nodePaths.dir, 'volumes');

/** Apparent size of the pool file; blocks are only used as data is written (sparse). */
const poolBytes = 256 * 1024 ** 3;

async function isMounted(dir: string): Promise<boolean> {
  try {
    await run('mountpoint', ['-q', dir]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates (once) the sparse pool file with a btrfs file system and loop-mounts it at volumePoolMount,
 * with the directories the volume backend uses: vols/ (one subvolume per PV), snaps/ (read-only
 * snapshots). Returns the mount point.
 */
export async function ensureVolumePool(log: (line: string) => void): Promise<string> {
  const file = volumePoolFile();
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(`${file}.new`, 'w');
    ftruncateSync(fd, poolBytes);
    closeSync(fd);
    await run('mkfs.btrfs', ['-q', '-L', `tispace-${checkoutId}`, `${file}.new`]);
    await run('mv', [`${file}.new`, file]);
    log(`[node] created btrfs volume pool ${file} (sparse, ${poolBytes / 1024 ** 3} GiB)`);
  }
  mkdirSync(volumePoolMount, { recursive: true });
  if (!(await isMounted(volumePoolMount))) {
    await run('mount', ['-o', 'loop,compress=no', file, volumePoolMount]);
  }
  for (const d of ['vols', 'snaps']) mkdirSync(path.join(volumePoolMount, d), { recursive: true });
  return volumePoolMount;
}
