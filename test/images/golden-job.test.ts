import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildImageTree } from '../../images/builder.ts';
import { IMAGES_DIR } from '../../images/catalog.ts';
import {
  createNetnsPair,
  deleteNetnsPair,
  type NetnsPair,
  removeCgroupParents,
  runJob,
  sh,
  startMachine,
  stopMachine,
  tryRun,
  waitForSsh,
} from './support/machine.ts';

// The golden-image Job's own script (ceph/golden-image/<image>.yaml), run for real in the debian-12
// tree under runc with the Job's capabilities, its volume at /golden and the files its runtime mounts
// over: what lands in the volume is what every machine of that image boots from.

const asRoot = process.getuid?.() === 0;
const repo = path.resolve(IMAGES_DIR, '..');
const run = `tg${randomBytes(3).toString('hex')}`;
const work = path.join('/var/tmp', `tispace-golden-${run}`);

function jobContainer(image: string) {
  const docs = parseAllDocuments(
    readFileSync(path.join(repo, 'ceph', 'golden-image', `${image}.yaml`), 'utf8'),
  );
  // biome-ignore lint/suspicious/noExplicitAny: the Job manifest, read field by field
  const job = docs.map((d) => d.toJSON() as any).find((d) => d.kind === 'Job');
  return job.spec.template.spec.containers[0] as {
    command: string[];
    args: string[];
    securityContext: { capabilities: { add: string[] } };
    volumeMounts: { mountPath: string }[];
  };
}

describe.skipIf(!asRoot)('golden-image Job script on the debian-12 tree', () => {
  let merged = '';
  let volume = '';
  let pair: NetnsPair | undefined;
  const mounted: string[] = [];
  const machine = `${run}-boot`;

  /** Runs the named image's Job script with the debian-12 tree as its image; the volume it wrote. */
  async function runGoldenJob(jobImage: string, name: string) {
    const container = jobContainer(jobImage);
    const volume = path.join(work, `${name}-volume`);
    const files = path.join(work, `${name}-runtime`);
    mkdirSync(volume, { recursive: true });
    mkdirSync(files, { recursive: true });
    // What the Job's own runtime mounts over: these must not end up in the golden tree as they are.
    writeFileSync(path.join(files, 'hostname'), 'golden-job-pod\n');
    writeFileSync(path.join(files, 'hosts'), '10.0.0.5 golden-job-pod\n');
    writeFileSync(
      path.join(files, 'resolv.conf'),
      'search tispace.svc.cluster.local\nnameserver 10.96.0.10\n',
    );
    const result = await runJob({
      id: `${run}-${name}`,
      tree: merged,
      workDir: path.join(work, name),
      args: [...container.command, ...container.args],
      capabilities: container.securityContext.capabilities.add,
      mounts: [
        { source: volume, destination: container.volumeMounts[0]!.mountPath },
        { source: path.join(files, 'hostname'), destination: '/etc/hostname' },
        { source: path.join(files, 'hosts'), destination: '/etc/hosts' },
        { source: path.join(files, 'resolv.conf'), destination: '/etc/resolv.conf' },
      ],
    });
    return { ...result, volume };
  }

  beforeAll(async () => {
    const { tree } = await buildImageTree('debian-12', { log: (l) => process.stderr.write(`${l}\n`) });
    // The image's filesystem as a container sees it: the tree under a throw-away overlay, so the
    // cached tree is never written to.
    for (const d of ['upper', 'work', 'merged']) mkdirSync(path.join(work, 'root', d), { recursive: true });
    merged = path.join(work, 'root', 'merged');
    await sh('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${tree},upperdir=${path.join(work, 'root', 'upper')},workdir=${path.join(work, 'root', 'work')}`,
      merged,
    ]);
    mounted.push(merged);
  }, 1_200_000);

  afterAll(async () => {
    await stopMachine(machine, 20_000).catch(() => {});
    if (pair) await deleteNetnsPair(pair);
    for (const m of mounted) await tryRun('umount', [m]);
    removeCgroupParents();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('copies the image into the volume with owners, modes and setuid bits, resetting per-machine files', async () => {
    const job = await runGoldenJob('debian-12', 'ok');
    const { code, output } = job;
    volume = job.volume;
    expect(output).not.toContain('not a TiSpace');
    expect(code, output).toBe(0);
    const at = (p: string) => path.join(volume, p);
    // The runtime's files are not copied as they were: plain files for the instance's runtime to mount.
    expect(readFileSync(at('etc/hostname'), 'utf8')).toBe('');
    expect(readFileSync(at('etc/hosts'), 'utf8')).toContain('127.0.0.1 localhost');
    expect(lstatSync(at('etc/resolv.conf')).isFile()).toBe(true);
    expect(readFileSync(at('etc/resolv.conf'), 'utf8')).toBe('');
    expect(readFileSync(at('etc/machine-id'), 'utf8')).toBe('');
    expect(readdirSync(at('etc/ssh')).filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
    const golden = readFileSync(at('etc/tispace-golden'), 'utf8');
    expect(golden).toMatch(/^image=debian-12$/m);
    expect(golden).toMatch(/^script-sha256=[0-9a-f]{64}$/m);
    expect(golden).toMatch(/^copied=\d{4}-\d\d-\d\dT/m);
    // Owners, modes and the setuid bit survive the copy.
    const sudo = statSync(at('usr/bin/sudo'));
    expect([sudo.uid, sudo.mode & 0o7777]).toEqual([0, 0o4755]);
    const home = statSync(at('home/debian/.ssh'));
    expect([home.uid, home.gid, home.mode & 0o777]).toEqual([1000, 1000, 0o700]);
    expect(statSync(at('tmp')).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(at('tispace/rootfs'))).toEqual([]);
    // Neither the volume itself nor the runtime's file systems are copied.
    expect(existsSync(at('golden'))).toBe(false);
    expect(readdirSync(at('proc'))).toEqual([]);
  });

  it('writes a volume that boots, as an instance boots its clone, and accepts the owner', async () => {
    expect(volume).not.toBe('');
    const key = path.join(work, 'id_ed25519');
    await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    pair = await createNetnsPair(run);
    await startMachine({
      id: machine,
      tree: volume,
      workDir: path.join(work, 'boot'),
      netns: pair.machine,
      hostname: machine,
      authorizedKeys: readFileSync(`${key}.pub`, 'utf8'),
    });
    await waitForSsh(pair.client, pair.machineAddress, 90_000);
    const r = await tryRun('ip', [
      ...['netns', 'exec', pair.client, 'ssh', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
      ...[
        '-o',
        `UserKnownHostsFile=${path.join(work, 'known_hosts')}`,
        '-o',
        'StrictHostKeyChecking=accept-new',
      ],
      `debian@${pair.machineAddress}`,
      'systemctl is-system-running --wait; grep -c ^copied= /etc/tispace-golden',
    ]);
    expect(r.stdout.trim().split('\n')).toEqual(['running', '1']);
  });

  it('refuses to make a golden image from the wrong image', async () => {
    const { code, output } = await runGoldenJob('ubuntu-22.04', 'wrong');
    expect(code).not.toBe(0);
    expect(output).toContain(
      'not a TiSpace ubuntu-22.04 image (no image=ubuntu-22.04 in /etc/tispace-golden)',
    );
  });
});
