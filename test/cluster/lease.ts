// Shared use of the local control plane by test runs and benchmarks: each user registers itself; the one
// that started the control plane (unless `npm run cluster -- up` did) marks it to be stopped when idle, and
// the last user out stops it. One started with `npm run cluster -- up` stays up.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import {
  type Logger,
  type StartOptions,
  startControlPlane,
  stopControlPlane,
  withClusterLock,
} from './control-plane.ts';
import { users } from './lock.ts';
import { statePaths } from './paths.ts';

export interface ControlPlaneLease {
  kubeconfig: string;
  started: boolean;
  /** Unregisters this process; stops the control plane if it is the last user and a run started it. */
  release(): Promise<void>;
}

/** Brings the control plane up (reusing a running one) and registers this process as a user of it. */
export async function acquireControlPlane(
  log: Logger,
  options: StartOptions = {},
): Promise<ControlPlaneLease> {
  const result = await withClusterLock(async () => {
    const r = await startControlPlane(log, options);
    if (r.started) writeFileSync(statePaths.stopWhenIdle, `${process.pid}\n`);
    users.add(statePaths.users);
    return r;
  }, log);
  let released = false;
  return {
    ...result,
    async release() {
      if (released) return;
      released = true;
      await withClusterLock(async () => {
        users.remove(statePaths.users);
        if (!existsSync(statePaths.stopWhenIdle)) return;
        const others = users.alive(statePaths.users);
        if (others.length > 0) {
          log(`[cluster] leaving the control plane up for ${others.join(', ')}`);
          return;
        }
        await stopControlPlane(log);
        rmSync(statePaths.stopWhenIdle, { force: true });
      }, log);
    },
  };
}
