// CPU placement of benchmark processes: on a small shared machine the load generator, the fake Slack and
// the server under test would otherwise take turns on the same cores, and the load generator's clock
// would count the time it waited for a core as the server's latency.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Placement {
  /** CPUs the process may run on (as taskset prints them), or undefined when not pinned. */
  cpus?: string;
  /** Scheduling niceness given to the process (0 = unchanged). */
  nice: number;
}

/**
 * Pins every thread of `pid` to `cpus` (threads started later inherit it) and sets its niceness. A no-op
 * on a machine with one CPU or without `taskset`; returns what was applied, for the report.
 */
export function place(pid: number | undefined, cpus: string, nice = 0): Placement {
  if (pid === undefined || availableParallelism() < 2) return { nice: 0 };
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    if (nice !== 0) execFileSync('renice', ['-n', String(nice), '-p', String(pid)], { stdio: 'ignore' });
    return { cpus, nice };
  } catch {
    return { nice: 0 };
  }
}
