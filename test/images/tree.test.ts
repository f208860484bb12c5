import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildImageTree, exportOciImage, exportTarball, scriptHash } from '../../images/builder.ts';
import { findImage } from '../../images/catalog.ts';
import { sh } from './support/machine.ts';

// Static checks of every promise the debian-12 tree makes (images/README.md, "What the tree is"), on the
// tree the local builder makes (cached under ~/.cache/tispace/images; built here when missing).
// Building needs root (mmdebstrap --mode=root); CI and these machines run the tests as root.

const asRoot = process.getuid?.() === 0;
const image = findImage('debian-12');
const user = image.loginUser;

describe.skipIf(!asRoot)('debian-12 tree (static)', () => {
  let tree = '';
  const at = (p: string) => path.join(tree, p);
  const read = (p: string) => readFileSync(at(p), 'utf8');
  const passwd = (file: string) =>
    read(file)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':'));

  beforeAll(async () => {
    const started = Date.now();
    const built = await buildImageTree(image.name, { log: (l) => process.stderr.write(`${l}\n`) });
    tree = built.tree;
    const size = (await sh('du', ['-sx', '--block-size=1M', tree])).split('\t')[0];
    console.log(
      `[images] debian-12 tree ${tree}: ${built.cached ? 'cached' : 'built'} in ${Date.now() - started} ms, ${size} MiB`,
    );
  }, 1_200_000);

  it('boots systemd as /sbin/init', async () => {
    // Resolved inside the tree (its links are absolute).
    expect((await sh('chroot', [tree, 'readlink', '-f', '/sbin/init'])).trim()).toBe(
      '/usr/lib/systemd/systemd',
    );
  });

  it('masks the units that cannot work in a Pod', () => {
    for (const unit of [
      'systemd-udevd.service',
      'systemd-udev-trigger.service',
      'console-getty.service',
      'getty@.service',
      'getty.target',
      'systemd-modules-load.service',
      'sys-kernel-debug.mount',
      'systemd-journald-audit.socket',
      'systemd-timesyncd.service',
      'systemd-resolved.service',
      'proc-sys-fs-binfmt_misc.automount',
    ]) {
      expect(readlinkSync(at(`etc/systemd/system/${unit}`)), unit).toBe('/dev/null');
    }
  });

  it('enables sshd, Docker and the TiSpace units where they must run', () => {
    const wants = (target: string) => readdirSync(at(`etc/systemd/system/${target}`));
    expect(wants('multi-user.target.wants')).toEqual(
      expect.arrayContaining(['ssh.service', 'docker.service', 'containerd.service']),
    );
    // The guard holds up sysinit; host keys are required by sshd.
    expect(wants('sysinit.target.requires')).toContain('tispace-rootfs-guard.service');
    expect(wants('ssh.service.requires')).toContain('tispace-ssh-host-keys.service');
    const guard = read('etc/systemd/system/tispace-rootfs-guard.service');
    expect(guard).toMatch(/^DefaultDependencies=no$/m);
    expect(guard).toMatch(/^Before=sysinit\.target/m);
    expect(guard).toMatch(/^FailureAction=exit$/m);
    const keys = read('etc/systemd/system/tispace-ssh-host-keys.service');
    expect(keys).toMatch(/^Before=ssh\.service$/m);
    expect(keys).toMatch(/^ExecStart=\/usr\/bin\/ssh-keygen -A$/m);
  });

  it('ships no SSH host key', () => {
    expect(readdirSync(at('etc/ssh')).filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
  });

  it('configures sshd for public keys only, the Secret through a root-owned command', () => {
    // sshd_config includes the drop-ins before its own settings: the first value wins.
    const main = read('etc/ssh/sshd_config')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(main[0]).toBe('Include /etc/ssh/sshd_config.d/*.conf');
    const conf = read('etc/ssh/sshd_config.d/10-tispace.conf');
    for (const line of [
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'PubkeyAuthentication yes',
      'StrictModes yes',
      'AuthorizedKeysCommand /usr/local/lib/tispace/authorized-keys %u',
      'AuthorizedKeysCommandUser nobody',
      'AuthorizedKeysFile .ssh/authorized_keys',
    ]) {
      expect(conf).toMatch(new RegExp(`^${line.replace(/[.*%/]/g, '\\$&')}$`, 'm'));
    }
    // sshd runs the command only if it and every directory above it are root's and not writable by others.
    for (const p of [
      'usr/local/lib/tispace/authorized-keys',
      'usr/local/lib/tispace',
      'usr/local/lib',
      'usr/local',
    ]) {
      const st = statSync(at(p));
      expect(st.uid, p).toBe(0);
      expect(st.mode & 0o022, p).toBe(0);
    }
    expect(statSync(at('usr/local/lib/tispace/authorized-keys')).mode & 0o111).toBe(0o111);
    expect(read('usr/local/lib/tispace/authorized-keys')).toContain(`[ "$1" = "${user}" ] || exit 0`);
  });

  it('has the login user: uid 1000, no password, sudo and docker, home on the root disk', async () => {
    const entry = passwd('etc/passwd').find((f) => f[0] === user);
    expect(entry?.slice(2)).toEqual(['1000', '1000', 'TiSpace login user', `/home/${user}`, '/bin/bash']);
    expect(passwd('etc/shadow').find((f) => f[0] === user)?.[1]).toBe('*');
    for (const group of ['sudo', 'docker']) {
      expect(
        passwd('etc/group')
          .find((f) => f[0] === group)?.[3]
          ?.split(','),
        group,
      ).toContain(user);
    }
    const home = statSync(at(`home/${user}`));
    expect([home.uid, home.gid]).toEqual([1000, 1000]);
    const dotSsh = statSync(at(`home/${user}/.ssh`));
    expect([dotSsh.uid, dotSsh.mode & 0o777]).toEqual([1000, 0o700]);
    const sudoers = statSync(at('etc/sudoers.d/tispace'));
    expect([sudoers.uid, sudoers.mode & 0o777]).toEqual([0, 0o440]);
    expect(read('etc/sudoers.d/tispace')).toMatch(
      new RegExp(`^${user} ALL=\\(ALL:ALL\\) NOPASSWD: ALL$`, 'm'),
    );
    // sudo's own parser accepts the whole policy.
    expect(await sh('chroot', [tree, 'visudo', '-c'])).toContain('parsed OK');
  });

  it("runs the distribution's Docker with its data on the root disk", () => {
    expect(existsSync(at('usr/sbin/dockerd'))).toBe(true);
    const config = JSON.parse(read('etc/docker/daemon.json'));
    expect(config['data-root']).toBe('/var/lib/docker');
  });

  it('leaves per-machine files to first boot and the runtime', () => {
    expect(lstatSync(at('etc/machine-id')).size).toBe(0);
    for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) {
      expect(lstatSync(at(f)).isFile(), `${f} is a plain file`).toBe(true);
    }
    expect(read('etc/hostname')).toBe('');
    expect(read('etc/resolv.conf')).toBe('');
    expect(read('etc/hosts')).toContain('127.0.0.1 localhost');
    expect(existsSync(at('.dockerenv'))).toBe(false);
  });

  it('records what it is in /etc/tispace-golden', () => {
    const golden = Object.fromEntries(
      read('etc/tispace-golden')
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(golden.image).toBe('debian-12');
    expect(golden['login-user']).toBe(user);
    expect(golden['script-sha256']).toBe(scriptHash(image));
    expect(Date.parse(golden.built ?? '')).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('has the rootfs marker directory the guard looks at, empty', () => {
    expect(readdirSync(at('tispace/rootfs'))).toEqual([]);
    expect(statSync(at('usr/local/lib/tispace/rootfs-guard')).mode & 0o111).toBe(0o111);
  });

  it('exports a tarball with numeric owners and modes kept', async () => {
    const { tarball } = await exportTarball(image.name, { log: () => {} });
    const listing = await sh('tar', [
      '--numeric-owner',
      '-tvf',
      tarball,
      './etc/sudoers.d/tispace',
      `./home/${user}/.ssh/`,
    ]);
    expect(listing).toMatch(/^-r--r----- 0\/0 .* \.\/etc\/sudoers\.d\/tispace$/m);
    expect(listing).toMatch(new RegExp(`^drwx------ 1000/1000 .* \\./home/${user}/\\.ssh/$`, 'm'));
  });

  it('exports an OCI image a Pod without a command boots: /sbin/init, container=oci, SIGRTMIN+3', async () => {
    const { layout, reference, tag } = await exportOciImage(image.name, { log: () => {} });
    expect(reference).toBe(image.reference);
    const config = JSON.parse(await sh('skopeo', ['inspect', '--config', `oci:${layout}:${tag}`]));
    expect(config.config.Entrypoint).toEqual(['/sbin/init']);
    expect(config.config.Env).toContain('container=oci');
    expect(config.config.StopSignal).toBe('SIGRTMIN+3');
    expect(config.config.Labels['io.tispace.script-sha256']).toBe(scriptHash(image));
    expect(config.rootfs.diff_ids).toHaveLength(1);
  });
});
