import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyscanHostKeys, parseKeyscan } from '../../../../provisioner/ssh/host-key-reader.ts';
import { freePort } from '../../../support/ports.ts';
import { simulatedNodeHostKeys } from '../../../support/simulated-host-keys.ts';
import { tempDir } from '../../../support/temp.ts';

const asRoot = process.getuid?.() === 0;
const dir = tempDir('tispace-hostkeys-');
let made = 0;

/** A fresh host key pair made by ssh-keygen, and its fingerprint as ssh-keygen prints it. */
function keygen(type: 'ed25519' | 'ecdsa' | 'rsa'): { path: string; pub: string; fingerprint: string } {
  const path = join(dir, `host_${type}_${++made}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-f', path, '-N', '', '-C', 'root@machine']);
  const pub = readFileSync(`${path}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { path, pub, fingerprint };
}

describe('parsing ssh-keyscan output', () => {
  it('turns each key line into type, SHA256 fingerprint (as ssh-keygen -l prints it) and public key', () => {
    const ed = keygen('ed25519');
    const rsa = keygen('rsa');
    const [edType, edBlob] = ed.pub.split(' ');
    const [rsaType, rsaBlob] = rsa.pub.split(' ');
    // As ssh-keyscan prints them: the host (bracketed with a port other than 22), the key, no comment.
    const output = `# 10.96.0.12:22 SSH-2.0-OpenSSH_9.2p1\n10.96.0.12 ${ed.pub.split(' ').slice(0, 2).join(' ')}\n\n[10.96.0.12]:2222 ${rsaType} ${rsaBlob}\n`;
    expect(parseKeyscan(output)).toEqual({
      ok: true,
      keys: [
        { type: 'ssh-ed25519', fingerprint: ed.fingerprint, publicKey: `${edType} ${edBlob}` },
        { type: 'ssh-rsa', fingerprint: rsa.fingerprint, publicKey: `${rsaType} ${rsaBlob}` },
      ],
    });
    expect(ed.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('refuses a line that is not a public key, naming it', () => {
    expect(parseKeyscan('10.0.0.1 ssh-ed25519 bm90IGEga2V5\n')).toEqual({
      ok: false,
      reason: expect.stringMatching(/^not a host key line: "10\.0\.0\.1 ssh-ed25519 bm90IGEga2V5"/),
    });
    expect(parseKeyscan('garbage\n')).toEqual({ ok: false, reason: 'not a host key line: "garbage"' });
  });
});

describe('the real ssh-keyscan reader', () => {
  it('says clearly that nothing answered when no sshd listens on the port', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await keyscanHostKeys.read('127.0.0.1', port);
    expect(result).toEqual({
      ok: false,
      reason: `no SSH host key from 127.0.0.1:${port}: sshd did not answer within 3 s or nothing listens there`,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  describe.skipIf(!asRoot)(
    'against a real sshd (root: sshd needs its privilege separation directory)',
    () => {
      let sshd: ChildProcess | undefined;
      let port = 0;
      const ed = keygen('ed25519');
      const ecdsa = keygen('ecdsa');

      beforeAll(async () => {
        mkdirSync('/run/sshd', { recursive: true });
        port = await freePort();
        sshd = spawn(
          '/usr/sbin/sshd',
          ['-D', '-e', '-f', '/dev/null', '-p', String(port), '-h', ed.path, '-h', ecdsa.path].concat([
            '-o',
            'PidFile=none',
            '-o',
            'ListenAddress=127.0.0.1',
          ]),
          { stdio: 'ignore' },
        );
        // Listening once a connection is accepted.
        for (let i = 0; i < 50; i++) {
          const up = await new Promise<boolean>((resolve) => {
            const c = createConnection({ host: '127.0.0.1', port }, () => {
              c.destroy();
              resolve(true);
            });
            c.on('error', () => resolve(false));
          });
          if (up) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('sshd did not start');
      });
      afterAll(() => {
        sshd?.kill();
      });

      it('reads every host key sshd presents, with the fingerprints ssh-keygen prints', async () => {
        const result = await keyscanHostKeys.read('127.0.0.1', port);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.keys.map((k) => [k.type, k.fingerprint]).sort()).toEqual(
          [
            ['ecdsa-sha2-nistp256', ecdsa.fingerprint],
            ['ssh-ed25519', ed.fingerprint],
          ].sort(),
        );
        expect(result.keys.find((k) => k.type === 'ssh-ed25519')?.publicKey).toBe(
          ed.pub.split(' ').slice(0, 2).join(' '),
        );
      });
    },
  );
});

describe('the stand-in for simulated nodes (they run no sshd)', () => {
  it('answers each address with its own stable ed25519 key, whose fingerprint ssh-keygen agrees with', async () => {
    const a = await simulatedNodeHostKeys.read('10.96.0.12', 22);
    const again = await simulatedNodeHostKeys.read('10.96.0.12', 22);
    const b = await simulatedNodeHostKeys.read('10.96.0.13', 22);
    expect(a).toEqual(again);
    if (!a.ok || !b.ok) throw new Error('the simulated reader always answers');
    expect(a.keys[0]!.fingerprint).not.toBe(b.keys[0]!.fingerprint);
    const file = join(dir, 'simulated.pub');
    execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', a.keys[0]!.publicKey, file]);
    expect(execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' })).toContain(a.keys[0]!.fingerprint);
  });
});
