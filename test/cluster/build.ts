import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { withLock } from './lock.ts';
import { binaryCacheRoot, clusterSourceDir } from './paths.ts';
import { cacheKey, componentVersions } from './versions.ts';

/** Executables the control plane needs, by the Go module (directory under test/cluster) that builds them. */
const targets = [
  {
    module: 'k8s',
    binaries: ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'],
    packages: [
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
    ],
  },
  // The real worker node (test/cluster/node/): same module, so same Kubernetes version as the control plane.
  {
    module: 'k8s',
    binaries: ['kubelet', 'kube-proxy'],
    packages: ['k8s.io/kubernetes/cmd/kubelet', 'k8s.io/kubernetes/cmd/kube-proxy'],
  },
  { module: 'etcd', binaries: ['etcd'], packages: ['.'] },
  { module: 'kwok', binaries: ['kwok'], packages: ['sigs.k8s.io/kwok/cmd/kwok'] },
] as const;

export type BinaryName = (typeof targets)[number]['binaries'][number];

const nodeBinaries: ReadonlySet<string> = new Set(['kubelet', 'kube-proxy']);

/** Directory holding the binaries for the versions pinned in the go.mod files. */
export function binDir(): string {
  return path.join(binaryCacheRoot(), cacheKey(), 'bin');
}

export function binaryPath(name: BinaryName): string {
  return path.join(binDir(), name);
}

function goExecutable(): string {
  if (process.env.GO) return process.env.GO;
  const standard = '/usr/local/go/bin/go';
  return existsSync(standard) ? standard : 'go';
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${signal ?? `exit ${code}`}`));
    });
  });
}

async function buildTarget(
  target: (typeof targets)[number],
  dir: string,
  versions: ReturnType<typeof componentVersions>,
  log: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  log(`[cluster] building ${target.binaries.join(', ')} (${cacheKey(versions)}) into ${dir} …`);
  // Build into a scratch directory and move into place, so an interrupted build never leaves a
  // half-written binary that a later run would take for a finished one.
  const scratch = path.join(dir, `.build-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const out = target.packages.length === 1 ? path.join(scratch, target.binaries[0]) : `${scratch}/`;
    await run(
      goExecutable(),
      ['build', '-o', out, ...target.packages],
      path.join(clusterSourceDir, target.module),
    );
    for (const b of target.binaries) renameSync(path.join(scratch, b), path.join(dir, b));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`[cluster] built ${target.binaries.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Builds whatever binaries are missing from the cache (`go build` from the pinned modules) and returns the
 * bin directory. Progress goes to `log` (stderr by default). A cold build takes many minutes.
 */
export async function ensureBinaries(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  options: { node?: boolean } = {},
) {
  const dir = binDir();
  mkdirSync(dir, { recursive: true });
  const versions = componentVersions();
  // The node's binaries only when a real node is asked for (they add minutes to a cold build).
  const wanted = targets.filter((t) => options.node || !t.binaries.some((b) => nodeBinaries.has(b)));
  for (const target of wanted) {
    const missing = () => target.binaries.filter((b) => !existsSync(path.join(dir, b)));
    if (missing().length === 0) continue;
    // One build per cache, not one per checkout: other checkouts (CI clones, worktrees) wait for it.
    await withLock(
      path.join(dir, `.lock-${target.binaries[0]}`),
      async () => {
        if (missing().length === 0) return;
        await buildTarget(target, dir, versions, log);
      },
      (holder) =>
        log(`[cluster] waiting for process ${holder}, which is building ${target.binaries.join(', ')}`),
    );
  }
  return dir;
}
