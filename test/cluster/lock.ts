import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding an exclusive lock (a directory, so creation is atomic) shared by every process using
 * the same `dir` — e.g. two test runs in one checkout starting the control plane at once. A lock whose
 * holder died is taken over.
 */
export async function withLock<T>(
  dir: string,
  fn: () => Promise<T>,
  onWait?: (holder: number) => void,
): Promise<T> {
  mkdirSync(path.dirname(dir), { recursive: true });
  const owner = path.join(dir, 'pid');
  let announced = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(owner, 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (Number.isInteger(holder) && !pidAlive(holder)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Number.isInteger(holder) && !announced) {
        onWait?.(holder);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Users of a shared resource, one file per process under `dir`. Lets the last test run leave the
 * control plane down even when another run started it (and no run stops it under another's feet).
 */
export const users = {
  add(dir: string, pid = process.pid): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, String(pid)), `${new Date().toISOString()}\n`);
  },
  remove(dir: string, pid = process.pid): void {
    rmSync(path.join(dir, String(pid)), { force: true });
  },
  /** Pids of users still alive (entries of dead processes are removed). */
  alive(dir: string): number[] {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return [];
    }
    return entries
      .map(Number)
      .filter((pid) => Number.isInteger(pid))
      .filter((pid) => {
        if (pidAlive(pid)) return true;
        rmSync(path.join(dir, String(pid)), { force: true });
        return false;
      });
  },
};
