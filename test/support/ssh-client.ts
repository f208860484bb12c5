// The real OpenSSH client as a user runs it: fresh keys from ssh-keygen, and a printed `ssh` command run
// as it is (tests and benchmarks; no vitest here, so benchmarks can import it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh ed25519 key pair in a temporary directory (the real ssh-keygen). */
export function freshSshKey(comment: string): { privateKey: string; publicKey: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tispace-ssh-'));
  const privateKey = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKey]);
  return { privateKey, publicKey: readFileSync(`${privateKey}.pub`, 'utf8').trim(), dir };
}

/**
 * Runs a printed `ssh -p <port> <user>@<host>` command as it is, with the real OpenSSH client, plus
 * only what a non-interactive run needs (identity, its own known_hosts, no prompts) and `remote`.
 */
export function runPrintedSsh(
  printed: string,
  key: { privateKey: string; dir: string },
  remote: string,
): { code: number; stdout: string; stderr: string } {
  const words = printed.trim().split(/\s+/);
  if (words[0] !== 'ssh') throw new Error(`not an ssh command: ${printed}`);
  const options = [
    '-i',
    key.privateKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${path.join(key.dir, 'known_hosts')}`,
    '-o',
    'ConnectTimeout=5',
  ];
  const result = spawnSync('ssh', [...options, ...words.slice(1), remote], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
