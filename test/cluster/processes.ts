import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/** One background process started by `up`: its own process group (pgid = pid), output in `log`. */
export interface ComponentProcess {
  name: string;
  pid: number;
  /** Text that /proc/<pid>/cmdline must contain for the pid to still be ours (guards against pid reuse). */
  match: string;
  log: string;
  startedAt: string;
}

export type PidFile = Record<string, ComponentProcess>;

export function readPidFile(file: string): PidFile {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as PidFile;
}

export function writePidFile(file: string, pids: PidFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(pids, null, 2)}\n`);
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function processState(pid: number): string | undefined {
  try {
    // Field 3 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Whether the recorded process still runs (and is not a zombie, and is still the same program). */
export function isAlive(proc: Pick<ComponentProcess, 'pid' | 'match'>): boolean {
  const state = processState(proc.pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  return cmdline(proc.pid)?.includes(proc.match) ?? false;
}

/** Pids whose process group id is `pgid` (from /proc), zombies excluded. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirProc();
  } catch {
    return members;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function readdirProc(): string[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  match?: string;
}

/** Starts a detached process in its own process group with stdout+stderr appended to <logDir>/<name>.log. */
export function startProcess(options: StartOptions): ComponentProcess {
  mkdirSync(options.logDir, { recursive: true });
  const log = path.join(options.logDir, `${options.name}.log`);
  const fd = openSync(log, 'a');
  writeFileSync(fd, `\n=== ${new Date().toISOString()} ${options.command} ${options.args.join(' ')}\n`);
  const child = spawn(options.command, options.args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  child.unref();
  return {
    name: options.name,
    pid: child.pid,
    match: options.match ?? path.basename(options.command),
    log,
    startedAt: new Date().toISOString(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the process group of a recorded process: SIGTERM, then SIGKILL after `graceMs`, and waits until no
 * member of the group is left. Only the group this tool created is signalled.
 */
export async function stopProcess(proc: ComponentProcess, graceMs = 10_000): Promise<void> {
  const pgid = proc.pid;
  const ours = isAlive(proc) || groupMembers(pgid).length > 0;
  if (!ours) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // group already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(100);
  if (groupMembers(pgid).length > 0) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 10_000;
    while (groupMembers(pgid).length > 0 && Date.now() < killDeadline) await sleep(100);
  }
  const left = groupMembers(pgid);
  if (left.length > 0) throw new Error(`${proc.name}: processes ${left.join(', ')} survived SIGKILL`);
}

/** Removes a file if present. */
export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
