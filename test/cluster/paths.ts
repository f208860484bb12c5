import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (two levels above this file). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Directory of this module: the Go modules (k8s, etcd, kwok) and KWOK stage configs live below it. */
export const clusterSourceDir = path.join(repoRoot, 'test', 'cluster');

/** Upstream CRDs vendored in the repository (Rook, external-snapshotter): see third_party/README.md. */
export const sharedCrdDir = path.join(repoRoot, 'third_party', 'crds');

/** Per-checkout runtime state: PKI, kubeconfigs, etcd data, logs, pids. Gitignored (.cache/). */
export const stateDir = path.join(repoRoot, '.cache', 'cluster');

export const statePaths = {
  pki: path.join(stateDir, 'pki'),
  etcdData: path.join(stateDir, 'etcd'),
  logs: path.join(stateDir, 'logs'),
  pids: path.join(stateDir, 'pids.json'),
  ports: path.join(stateDir, 'ports.json'),
  kubeconfig: path.join(stateDir, 'kubeconfig'),
  componentKubeconfigs: path.join(stateDir, 'kubeconfigs'),
  /** Held while starting or stopping (a directory holding the holder's pid). */
  lock: path.join(stateDir, 'lock'),
  /** One file per test run (vitest process) currently using the control plane. */
  users: path.join(stateDir, 'users'),
  /** Present when the real worker node is wanted (`up --real-node`); `down` keeps it, `reset` removes it. */
  realNode: path.join(stateDir, 'real-node'),
  /** Present when a test run started the control plane: the last run using it stops it. */
  stopWhenIdle: path.join(stateDir, 'stop-when-idle'),
} as const;

/** Root of the binary cache shared by all checkouts: ${XDG_CACHE_HOME:-$HOME/.cache}/tispace/cluster. */
export function binaryCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'tispace', 'cluster');
}
