import { execFile } from 'node:child_process';
import sshpk from 'sshpk';
import type { HostKey } from '../domain/ssh-access.ts';

// A machine's SSH host keys, read from its sshd the way a user's `ssh` first sees them. "Running" means
// the user can log in and check the host: until its keys are read the machine is not running.

export type HostKeyReading = { ok: true; keys: HostKey[] } | { ok: false; reason: string };

/** Reads the host keys a sshd presents at address:port. Never throws: a failure is a reason in words. */
export interface HostKeyReader {
  read(address: string, port: number): Promise<HostKeyReading>;
}

/** The key types asked for, in OpenSSH's own order of preference. */
const KEY_TYPES = 'ed25519,ecdsa,rsa';
/** ssh-keyscan's own connect-and-answer timeout, in seconds. */
const KEYSCAN_TIMEOUT_S = 3;
/** The whole run is killed after this, whatever ssh-keyscan does. */
const RUN_LIMIT_MS = 10_000;

/**
 * Parses ssh-keyscan's output: `<host> <type> <base64>` per key; comment lines (`# host:22 SSH-2.0-…`)
 * and blank lines are skipped. A line that is not a public key is an error: it names the line.
 */
export function parseKeyscan(output: string): { ok: true; keys: HostKey[] } | { ok: false; reason: string } {
  const keys: HostKey[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, type, base64] = line.split(/\s+/);
    if (!type || !base64) return { ok: false, reason: `not a host key line: "${line.slice(0, 80)}"` };
    try {
      const key = sshpk.parseKey(`${type} ${base64}`, 'ssh');
      keys.push({
        type,
        fingerprint: key.fingerprint('sha256').toString(),
        publicKey: `${type} ${base64}`,
      });
    } catch (error) {
      return {
        ok: false,
        reason: `not a host key line: "${line.slice(0, 80)}" (${(error as Error).message})`,
      };
    }
  }
  return { ok: true, keys };
}

/** The real reader: `ssh-keyscan -T 3 -t ed25519,ecdsa,rsa -p <port> <address>`, bounded in time. */
export const keyscanHostKeys: HostKeyReader = {
  read: (address, port) =>
    new Promise((resolve) => {
      execFile(
        'ssh-keyscan',
        ['-T', String(KEYSCAN_TIMEOUT_S), '-t', KEY_TYPES, '-p', String(port), address],
        { timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 },
        (error, stdout, stderr) => {
          const where = `${address}:${port}`;
          const spawnError = error as (NodeJS.ErrnoException & { killed?: boolean }) | null;
          if (spawnError?.code === 'ENOENT')
            return resolve({ ok: false, reason: 'ssh-keyscan is not installed (package openssh-client)' });
          if (spawnError?.killed)
            return resolve({
              ok: false,
              reason: `ssh-keyscan ${where} did not finish in ${RUN_LIMIT_MS / 1000} s`,
            });
          const parsed = parseKeyscan(stdout);
          if (!parsed.ok) return resolve({ ok: false, reason: `${where}: ${parsed.reason}` });
          if (parsed.keys.length > 0) return resolve(parsed);
          const said = stderr
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith('#'))
            .join('; ');
          resolve({
            ok: false,
            reason: `no SSH host key from ${where}: sshd did not answer within ${KEYSCAN_TIMEOUT_S} s or nothing listens there${said ? ` (${said.slice(0, 200)})` : ''}`,
          });
        },
      );
    }),
};
