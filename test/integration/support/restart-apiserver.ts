// Stops the running kube-apiserver of the local control plane and starts it again with the same command
// line, as an outage in the middle of a run. etcd keeps the state.
import { readFileSync } from 'node:fs';
import { apiserverReady } from '../../cluster/control-plane.ts';
import { repoRoot, statePaths } from '../../cluster/paths.ts';
import { readPidFile, startProcess, stopProcess, writePidFile } from '../../cluster/processes.ts';
import { waitFor } from './cluster.ts';

export async function restartApiserver(options: {
  downForMs: number;
  whileDown?: () => Promise<void>;
}): Promise<void> {
  const pids = readPidFile(statePaths.pids);
  const proc = pids['kube-apiserver'];
  if (!proc) throw new Error('no kube-apiserver recorded in the pid file');
  const [command, ...args] = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  await stopProcess(proc);
  await options.whileDown?.();
  await new Promise((r) => setTimeout(r, options.downForMs));
  const next = startProcess({
    name: 'kube-apiserver',
    command: command!,
    args,
    logDir: statePaths.logs,
    cwd: repoRoot,
  });
  writePidFile(statePaths.pids, { ...readPidFile(statePaths.pids), 'kube-apiserver': next });
  await waitFor(async () => ((await apiserverReady()) ? true : undefined), {
    timeoutMs: 120_000,
    what: 'kube-apiserver ready again',
  });
}
