import { randomBytes } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageTree } from '../../images/builder.ts';
import { findImage } from '../../images/catalog.ts';
import {
  createNetnsPair,
  deleteNetnsPair,
  type MachineSpec,
  machineStatus,
  type NetnsPair,
  removeCgroupParents,
  runc,
  sh,
  sleep,
  startMachine,
  stopMachine,
  tryRun,
  waitForSsh,
} from './support/machine.ts';

// Boots the debian-12 tree for real: runc runs it as cri-o runs a privileged instance Pod (systemd as
// PID 1, container=oci, the Secret mounted read-only at /etc/tispace/ssh as the kubelet lays it out),
// in a network namespace pair made here; the real OpenSSH client logs in from the other namespace.
// Every tree booted is a copy (booting writes to it); everything is removed in afterAll.

const asRoot = process.getuid?.() === 0;
const image = findImage('debian-12');
const user = image.loginUser;
const run = `ti${randomBytes(3).toString('hex')}`;
const work = path.join('/var/tmp', `tispace-images-${run}`);

describe.skipIf(!asRoot)('debian-12 tree booted under runc', () => {
  let pair: NetnsPair;
  let tree = '';
  const started: string[] = [];
  const key = path.join(work, 'id_ed25519');
  const wrongKey = path.join(work, 'wrong_ed25519');
  const knownHosts = (name: string) => path.join(work, `known_hosts-${name}`);

  function spec(name: string, extra: Partial<MachineSpec> = {}): MachineSpec {
    return {
      id: `${run}-${name}`,
      tree: path.join(work, name, 'rootfs'),
      workDir: path.join(work, name),
      netns: pair.machine,
      hostname: `${run}-${name}`,
      authorizedKeys: readFileSync(`${key}.pub`, 'utf8'),
      ...extra,
    };
  }

  async function copyTree(name: string): Promise<void> {
    mkdirSync(path.join(work, name), { recursive: true });
    await sh('cp', ['-a', tree, path.join(work, name, 'rootfs')]);
  }

  /** Boots, waits for sshd; returns ms from `runc run` to the SSH banner. */
  async function boot(s: MachineSpec): Promise<number> {
    const t0 = Date.now();
    started.push(s.id);
    await startMachine(s);
    await waitForSsh(pair.client, pair.machineAddress, 90_000);
    return Date.now() - t0;
  }

  function ssh(
    login: string,
    command: string,
    opts: { identity?: string; hosts?: string; strict?: 'yes' | 'accept-new'; extra?: string[] } = {},
  ) {
    return tryRun(
      'ip',
      [
        'netns',
        'exec',
        pair.client,
        'ssh',
        '-i',
        opts.identity ?? key,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `UserKnownHostsFile=${opts.hosts ?? knownHosts('a')}`,
        '-o',
        `StrictHostKeyChecking=${opts.strict ?? 'accept-new'}`,
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=10',
        ...(opts.extra ?? []),
        `${login}@${pair.machineAddress}`,
        command,
      ],
      { timeout: 120_000 },
    );
  }

  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    tree = (await buildImageTree(image.name, { log: (l) => process.stderr.write(`${l}\n`) })).tree;
    await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner', '-f', key]);
    await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', wrongKey]);
    pair = await createNetnsPair(run);
    await copyTree('a');
    const ms = await boot(spec('a'));
    console.log(`[images] boot to sshd (runc run → SSH banner): ${ms} ms`);
  }, 1_200_000);

  afterAll(async () => {
    for (const id of started) await stopMachine(id, 20_000).catch(() => {});
    if (pair) await deleteNetnsPair(pair);
    removeCgroupParents();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('lets the owner log in as the login user with the key from the Secret', async () => {
    const r = await ssh(user, 'id -un; id -u; id -Gn; echo $HOME');
    expect(r.stderr).not.toContain('Permission denied');
    expect(r.code).toBe(0);
    const [name, uid, groups, home] = r.stdout.trim().split('\n');
    expect([name, uid, home]).toEqual([user, '1000', `/home/${user}`]);
    expect(groups?.split(' ')).toEqual(expect.arrayContaining(['sudo', 'docker']));
  });

  it('refuses a key that is not in the Secret', async () => {
    const r = await ssh(user, 'true', { identity: wrongKey });
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
  });

  it('refuses root, even with the owner key', async () => {
    const r = await ssh('root', 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
  });

  it('offers no password or keyboard-interactive login', async () => {
    for (const method of ['password', 'keyboard-interactive']) {
      const r = await ssh(user, 'true', {
        extra: ['-o', `PreferredAuthentications=${method}`, '-o', 'PubkeyAuthentication=no'],
      });
      expect(r.code, method).toBe(255);
      // The server lists what it accepts: public keys only.
      expect(r.stderr, method).toContain('Permission denied (publickey)');
    }
  });

  it('gives the login user passwordless sudo, and sshd runs with the TiSpace settings', async () => {
    const r = await ssh(user, 'sudo -n true && sudo -n sshd -T');
    expect(r.code).toBe(0);
    for (const line of [
      'passwordauthentication no',
      'kbdinteractiveauthentication no',
      'permitrootlogin no',
      'strictmodes yes',
      'authorizedkeyscommand /usr/local/lib/tispace/authorized-keys %u',
    ]) {
      expect(r.stdout).toContain(line);
    }
  });

  it("also accepts the user's own ~/.ssh/authorized_keys", async () => {
    const pub = readFileSync(`${wrongKey}.pub`, 'utf8').trim();
    expect(
      (await ssh(user, `echo '${pub}' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys`)).code,
    ).toBe(0);
    const r = await ssh(user, 'id -un', { identity: wrongKey });
    expect(r.stdout.trim()).toBe(user);
    expect((await ssh(user, 'rm ~/.ssh/authorized_keys')).code).toBe(0);
    expect((await ssh(user, 'true', { identity: wrongKey })).code).toBe(255);
  });

  it('boots to running (or degraded) with no failed TiSpace unit', async () => {
    // Wait for the boot to settle (is-system-running --wait), as a user logging in right away would.
    const r = await ssh(user, 'systemctl is-system-running --wait; systemctl --failed --no-legend --plain');
    const [state, ...failed] = r.stdout.trim().split('\n');
    console.log(
      `[images] systemctl is-system-running: ${state}; failed units: ${failed.join(', ') || 'none'}`,
    );
    expect(['running', 'degraded']).toContain(state);
    expect(failed.filter((l) => l.startsWith('tispace-'))).toEqual([]);
    const units = await ssh(
      user,
      'systemctl is-active tispace-rootfs-guard tispace-ssh-host-keys ssh docker',
    );
    expect(units.stdout.trim().split('\n')).toEqual(['active', 'active', 'active', 'active']);
  });

  it("takes the runtime's hostname and DNS, and has its own machine-id", async () => {
    const r = await ssh(user, 'hostname; cat /etc/resolv.conf; cat /etc/machine-id');
    const [hostname, resolv, machineId] = r.stdout.trim().split('\n');
    expect(hostname).toBe(`${run}-a`);
    expect(resolv).toBe(`nameserver ${pair.clientAddress}`);
    expect(machineId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('runs Docker: dockerd enabled and active, and a container runs inside the machine', async () => {
    expect((await ssh(user, 'systemctl is-enabled docker')).stdout.trim()).toBe('enabled');
    const info = await ssh(user, 'docker info --format "{{.DockerRootDir}} {{.Driver}}"');
    expect(info.stdout.trim()).toMatch(/^\/var\/lib\/docker \S+$/);
    // A tiny image made here: a static busybox, imported from a tarball (no registry involved).
    const dir = path.join(work, 'busybox');
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
    const tarball = path.join(work, 'a', 'rootfs', 'home', user, 'busybox.tar');
    await sh('tar', ['-C', dir, '-cf', tarball, '.']);
    chownSync(tarball, 1000, 1000);
    const r = await ssh(
      user,
      'docker import ~/busybox.tar tispace-busybox >/dev/null && docker run --rm tispace-busybox /bin/busybox echo hello-from-docker',
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hello-from-docker');
  });

  it('keeps what was written, and its host key, across a restart of the container', async () => {
    const a = spec('a');
    const marker = `kept-${run}`;
    expect(
      (await ssh(user, `echo ${marker} > ~/marker && sudo -n sh -c 'echo ${marker} > /var/lib/marker'`)).code,
    ).toBe(0);
    await stopMachine(a.id);
    expect(await machineStatus(a.id)).toBeUndefined();
    const ms = await boot(a);
    console.log(`[images] restart of the same tree to sshd: ${ms} ms`);
    // Strict host key checking against the key recorded at first boot: unchanged.
    const r = await ssh(user, 'cat ~/marker /var/lib/marker', { strict: 'yes' });
    expect(r.stderr).not.toContain('HOST IDENTIFICATION HAS CHANGED');
    expect(r.stdout.trim().split('\n')).toEqual([marker, marker]);
  });

  it('gives two machines from the same tree different host keys and machine-ids', async () => {
    const first = await ssh(user, 'cat /etc/ssh/ssh_host_ed25519_key.pub /etc/machine-id');
    await stopMachine(spec('a').id);
    await copyTree('b');
    await boot(spec('b'));
    const second = await ssh(user, 'cat /etc/ssh/ssh_host_ed25519_key.pub /etc/machine-id', {
      hosts: knownHosts('b'),
    });
    expect(second.code).toBe(0);
    const [keyA, idA] = first.stdout.trim().split('\n');
    const [keyB, idB] = second.stdout.trim().split('\n');
    expect(keyA).toMatch(/^ssh-ed25519 /);
    expect(keyB).toMatch(/^ssh-ed25519 /);
    expect(keyB).not.toBe(keyA);
    expect(idB).not.toBe(idA);
    // The first machine's recorded key does not match the second: ssh refuses it as a changed host.
    const strict = await ssh(user, 'true', { strict: 'yes' });
    expect(strict.code).toBe(255);
    expect(strict.stderr).toContain('HOST IDENTIFICATION HAS CHANGED');
    await stopMachine(spec('b').id);
  });

  it('refuses to boot, and says why, when /tispace/rootfs is still a mount point', async () => {
    // A node without the cri-o rootfs patch: the instance's volume mounted at /tispace/rootfs.
    const volume = path.join(work, 'volume');
    mkdirSync(volume, { recursive: true });
    writeFileSync(path.join(volume, 'user-data'), 'on the volume\n');
    const s = spec('b', {
      id: `${run}-guard`,
      extraMounts: [{ source: volume, destination: '/tispace/rootfs' }],
    });
    started.push(s.id);
    const { console: consoleLog, terminationLog } = await startMachine(s);
    const until = Date.now() + 60_000;
    while (Date.now() < until && (await machineStatus(s.id)) === 'running') await sleep(250);
    // The container stopped by itself (systemd exits on the guard's failure)...
    expect(await machineStatus(s.id)).toBe('stopped');
    // ...saying why where the kubelet looks (the Pod's termination message). PID 1's own output, the
    // Pod's log, stays empty: systemd sends its stdio to /dev/null.
    expect(readFileSync(terminationLog, 'utf8')).toContain(
      'TISPACE: REFUSING TO BOOT: /tispace/rootfs is a mount point',
    );
    console.log(`[images] guard: PID 1 output ${JSON.stringify(readFileSync(consoleLog, 'utf8'))}`);
    // The volume was not touched.
    expect(readdirSync(volume)).toEqual(['user-data']);
    // sshd never came up.
    const probe = await tryRun('ip', [
      'netns',
      'exec',
      pair.client,
      'bash',
      '-c',
      `exec 3<>/dev/tcp/${pair.machineAddress}/22`,
    ]);
    expect(probe.code).not.toBe(0);
    await runc(['delete', '--force', s.id]);
  });
});
