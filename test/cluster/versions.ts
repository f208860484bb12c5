import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clusterSourceDir } from './paths.ts';

export interface ComponentVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  go: string;
}

/** The version a go.mod requires for `modulePath` (first `require` match, ignoring replaces). */
export function requiredVersion(goModFile: string, modulePath: string): string {
  const text = readFileSync(goModFile, 'utf8');
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v[^\\s]+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`${goModFile} does not require ${modulePath}`);
  return match[1];
}

/** Versions pinned by the Go modules under test/cluster (plus the go directive of the k8s module). */
export function componentVersions(): ComponentVersions {
  const mod = (dir: string) => path.join(clusterSourceDir, dir, 'go.mod');
  const goDirective = /^go\s+(\S+)/m.exec(readFileSync(mod('k8s'), 'utf8'))?.[1] ?? 'unknown';
  return {
    kubernetes: requiredVersion(mod('k8s'), 'k8s.io/kubernetes'),
    etcd: requiredVersion(mod('etcd'), 'go.etcd.io/etcd/server/v3'),
    kwok: requiredVersion(mod('kwok'), 'sigs.k8s.io/kwok'),
    go: goDirective,
  };
}

/** Cache key naming one set of binaries, e.g. `k8s-v1.37.2_etcd-v3.7.0_kwok-v0.8.0`. */
export function cacheKey(versions: ComponentVersions = componentVersions()): string {
  return `k8s-${versions.kubernetes}_etcd-${versions.etcd}_kwok-${versions.kwok}`;
}
