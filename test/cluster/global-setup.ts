// Global setup of the `integration` vitest project: starts the local control plane — with the real worker
// node when run as root — once per run (building
// the binaries first if the cache lacks them — no timeout, a cold build takes many minutes), or reuses one
// already running (started by `npm run cluster -- up` or by another test run in this checkout). Provides
// the admin kubeconfig path as `inject('kubeconfig')`. A failed start fails the run.
//
// Teardown stops the control plane only if a test run started it, and only once no other test run is
// still using it (the last one out stops it); one started with `npm run cluster -- up` stays up.
import type { TestProject } from 'vitest/node';
import { acquireControlPlane } from './lease.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the admin (system:masters) kubeconfig of the local control plane. */
    kubeconfig: string;
    /** Whether the real worker node (kubelet + patched cri-o) runs: as root, unless TISPACE_REAL_NODE=0. */
    realNode: boolean;
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The real node needs root (mounts, cgroups, runc); CI and this project's machines run tests as root.
  const realNode = process.getuid?.() === 0 && process.env.TISPACE_REAL_NODE !== '0';
  const lease = await acquireControlPlane(log, { realNode });
  log(
    `[cluster] ${lease.started ? 'started' : 'reusing'} local control plane; kubeconfig ${lease.kubeconfig}`,
  );
  project.provide('kubeconfig', lease.kubeconfig);
  project.provide('realNode', realNode);
  return () => lease.release();
}
