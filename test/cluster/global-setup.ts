// Global setup of the `integration` vitest project: starts the local control plane once per run (building
// the binaries first if the cache lacks them — no timeout, a cold build takes many minutes), or reuses one
// already running (started by `npm run cluster -- up` or by another test run in this checkout). Provides
// the admin kubeconfig path as `inject('kubeconfig')`. A failed start fails the run.
//
// Teardown stops the control plane only if a test run started it, and only once no other test run is
// still using it (the last one out stops it); one started with `npm run cluster -- up` stays up.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startControlPlane, stopControlPlane, withClusterLock } from './control-plane.ts';
import { users } from './lock.ts';
import { statePaths } from './paths.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the admin (system:masters) kubeconfig of the local control plane. */
    kubeconfig: string;
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const result = await withClusterLock(async () => {
    const r = await startControlPlane(log);
    if (r.started) writeFileSync(statePaths.stopWhenIdle, `${process.pid}\n`);
    users.add(statePaths.users);
    return r;
  }, log);
  log(
    `[cluster] ${result.started ? 'started' : 'reusing'} local control plane; kubeconfig ${result.kubeconfig}`,
  );
  project.provide('kubeconfig', result.kubeconfig);
  return async () => {
    await withClusterLock(async () => {
      users.remove(statePaths.users);
      const others = users.alive(statePaths.users);
      if (!existsSync(statePaths.stopWhenIdle)) return;
      if (others.length > 0) {
        log(`[cluster] leaving the control plane up for test runs ${others.join(', ')}`);
        return;
      }
      await stopControlPlane(log);
      rmSync(statePaths.stopWhenIdle, { force: true });
    }, log);
  };
}
