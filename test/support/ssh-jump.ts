// The real OpenSSH client through the SSH gateway, as a user runs it (tests and benchmarks; no vitest here).
//
// Two things differ from a direct login (ssh-client.ts):
// - options given with -o apply to the destination only, never to the ProxyJump hop, which `ssh` runs as a
//   second `ssh` process; a config file given with -F is handed to that process too. So every option a
//   non-interactive run needs (identity, known_hosts, no prompts) goes into a config file;
// - the gateway asks TiSpace's HTTP server for each offered key, and in tests that server runs in this very
//   process: `ssh` must run asynchronously (spawnSync would block the event loop the answer needs).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SshUser {
  privateKey: string;
  /** A directory of this user's own (its config and known_hosts files are written there). */
  dir: string;
}

export interface SshRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface SshOptions {
  /** known_hosts lines to trust (the gateway's, the machine's); with `strict`, the only ones trusted. */
  knownHosts?: readonly string[];
  /** StrictHostKeyChecking yes (default): a host whose key is not in knownHosts is refused. */
  strict?: boolean;
  /** Text put before the defaults in the config file (e.g. a machine's ~/.ssh/config block). */
  config?: string;
  timeoutMs?: number;
}

/** Writes the user's ssh config (the given block, then defaults for every host); its path. */
export function writeSshConfig(user: SshUser, o: SshOptions = {}): string {
  const knownHosts = path.join(user.dir, 'known_hosts');
  writeFileSync(knownHosts, o.knownHosts?.length ? `${o.knownHosts.join('\n')}\n` : '');
  const file = path.join(user.dir, 'config');
  writeFileSync(
    file,
    [
      o.config ?? '',
      'Host *',
      `  IdentityFile ${user.privateKey}`,
      '  IdentitiesOnly yes',
      '  BatchMode yes',
      `  StrictHostKeyChecking ${o.strict === false ? 'accept-new' : 'yes'}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  ConnectTimeout 5',
      '  ServerAliveInterval 5',
      '',
    ].join('\n'),
  );
  return file;
}

/** Runs `ssh -F <config> <args…>` (the real client) and waits for it; never throws. */
export function runSsh(user: SshUser, args: readonly string[], o: SshOptions = {}): Promise<SshRun> {
  const config = writeSshConfig(user, o);
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      'ssh',
      ['-F', config, ...args],
      { encoding: 'utf8', timeout: o.timeoutMs ?? 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - t0 });
      },
    );
  });
}

/** Runs a printed `ssh -J <jump> <user>@<host>` command as it is, plus `remote`, with `user`'s key. */
export function runPrintedJump(
  printed: string,
  user: SshUser,
  remote: string,
  o: SshOptions = {},
): Promise<SshRun> {
  const words = printed.trim().split(/\s+/);
  if (words[0] !== 'ssh') throw new Error(`not an ssh command: ${printed}`);
  return runSsh(user, [...words.slice(1), remote], o);
}
