// The SSH gateway image's files (images/gateway/), checked by the tools that run them: ShellCheck for the
// scripts, and Debian's sshd itself for the shipped sshd_config (`sshd -T` prints the settings in effect,
// so a typo or an option sshd ignores would show here). The gateway at work, with real clients, is
// test/integration/real-gateway.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GATEWAY_DIR } from '../../images/gateway-builder.ts';
import { tryRun } from './support/machine.ts';

const SCRIPTS = ['tispace-authorized-keys', 'tispace-session-report', 'tispace-gateway', 'provision.sh'];
const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-gateway-image-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the SSH gateway image', () => {
  // Each in the shell its first line names (the key command is bash, for /dev/tcp; the others POSIX sh).
  it.each(SCRIPTS)('%s is ShellCheck-clean', async (script) => {
    const file = path.join(GATEWAY_DIR, script);
    const r = await tryRun('shellcheck', ['--format=gcc', file]);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  });

  // The local builder (images/gateway-builder.ts) runs provision.sh; the published image must be made by
  // the same script, or the image the tests run in Pods is not the one that ships.
  it('the Containerfile installs provision.sh’s packages and runs its configure', () => {
    const cf = readFileSync(path.join(GATEWAY_DIR, 'Containerfile'), 'utf8');
    expect(cf).toMatch(/^FROM docker\.io\/library\/debian:12-slim$/m);
    expect(cf).toContain('$(sh /tmp/gateway/provision.sh packages)');
    expect(cf).toContain('sh /tmp/gateway/provision.sh configure / /tmp/gateway');
    expect(cf).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/tispace-gateway"\]$/m);
  });

  it.runIf(existsSync('/usr/sbin/sshd'))('sshd takes the shipped sshd_config as a jump host only', () => {
    const hostKey = path.join(scratch, 'host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    // sshd -T refuses to run without its privilege-separation directory, which only a running sshd
    // service makes; as root, make it as that service would (host-key-reader.test.ts does the same).
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const effective = execFileSync(
      '/usr/sbin/sshd',
      ['-T', '-f', path.join(GATEWAY_DIR, 'sshd_config'), '-o', `HostKey=${hostKey}`],
      { encoding: 'utf8' },
    );
    const settings = new Map(
      effective
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] as const),
    );
    expect(Object.fromEntries([...settings].filter(([k]) => EXPECTED[k] !== undefined))).toEqual(EXPECTED);
  });
});

/** The settings that make it a jump host and nothing else (as `sshd -T` spells them). */
const EXPECTED: Record<string, string> = {
  port: '2222',
  usepam: 'no',
  passwordauthentication: 'no',
  kbdinteractiveauthentication: 'no',
  authenticationmethods: 'publickey',
  authorizedkeysfile: 'none',
  authorizedkeyscommand: '/usr/local/bin/tispace-authorized-keys %f',
  authorizedkeyscommanduser: 'nobody',
  allowusers: 'tispace',
  permitrootlogin: 'no',
  allowtcpforwarding: 'local',
  allowagentforwarding: 'no',
  allowstreamlocalforwarding: 'no',
  x11forwarding: 'no',
  permittty: 'no',
  permituserrc: 'no',
  permittunnel: 'no',
  permitlisten: 'none',
  permitopen: '*:22',
  gatewayports: 'no',
  disableforwarding: 'no',
  forcecommand: '/usr/sbin/nologin',
  pidfile: 'none',
  loglevel: 'VERBOSE',
};
