import { type ExecFileOptions, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Boots an image tree as a real machine: an OCI bundle run by runc with systemd as PID 1, set up as
 * cri-o sets up a privileged instance Pod (all capabilities, /sys and cgroups read-write, tmpfs on /run
 * and /tmp, the runtime's /etc/hostname, /etc/hosts, /etc/resolv.conf and /dev/termination-log, the
 * Secret at /etc/tispace/ssh), in a network namespace pair the test creates.
 */

const execFileP = promisify(execFile);

export async function sh(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { maxBuffer: 16 * 1024 * 1024, ...opts });
  return String(stdout);
}

/** Like sh, but never throws: exit code and both outputs. */
export async function tryRun(
  cmd: string,
  args: string[],
  opts: ExecFileOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { maxBuffer: 16 * 1024 * 1024, ...opts });
    return { code: 0, stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    };
  }
}

/** Two network namespaces joined by a veth pair: the machine's side and the client's side. */
export interface NetnsPair {
  machine: string;
  client: string;
  machineAddress: string;
  clientAddress: string;
}

/** The pair's addresses: private to the two namespaces, so every run (even concurrent ones) uses them. */
export const MACHINE_ADDRESS = '10.233.0.2';
const CLIENT_ADDRESS = '10.233.0.1';

export async function createNetnsPair(prefix: string): Promise<NetnsPair> {
  const pair: NetnsPair = {
    machine: `${prefix}-m`,
    client: `${prefix}-c`,
    machineAddress: MACHINE_ADDRESS,
    clientAddress: CLIENT_ADDRESS,
  };
  const vm = `${prefix.slice(-10)}m`;
  const vc = `${prefix.slice(-10)}c`;
  await sh('ip', ['netns', 'add', pair.machine]);
  await sh('ip', ['netns', 'add', pair.client]);
  // Created inside the client namespace, so the host's own namespace never holds either end.
  await sh('ip', [
    '-n',
    pair.client,
    'link',
    'add',
    vc,
    'type',
    'veth',
    'peer',
    'name',
    vm,
    'netns',
    pair.machine,
  ]);
  for (const [ns, dev, addr] of [
    [pair.client, vc, pair.clientAddress],
    [pair.machine, vm, pair.machineAddress],
  ] as const) {
    await sh('ip', ['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev]);
    await sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  await sh('ip', ['-n', pair.machine, 'route', 'add', 'default', 'via', pair.clientAddress]);
  return pair;
}

export async function deleteNetnsPair(pair: NetnsPair): Promise<void> {
  await tryRun('ip', ['netns', 'del', pair.machine]);
  await tryRun('ip', ['netns', 'del', pair.client]);
}

export interface MachineSpec {
  /** Unique runc container id. */
  id: string;
  /** The root tree (a copy: booting writes to it). */
  tree: string;
  /** Where the bundle, the runtime's files and the console log go. */
  workDir: string;
  netns: string;
  hostname: string;
  /** Contents of the Secret's authorized_keys. */
  authorizedKeys: string;
  /** Extra bind mounts (e.g. a directory at /tispace/rootfs, as a node without the cri-o patch). */
  extraMounts?: { source: string; destination: string }[];
}

// In capability-number order (linux/capability.h).
const CAP_NAMES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** Privileged, as cri-o means it: every capability this (root) process may hold itself. */
function privilegedCaps(): string[] {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s*([0-9a-f]+)$/m);
  const mask = BigInt(`0x${line?.[1] ?? '0'}`);
  return CAP_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n).map((n) => `CAP_${n}`);
}

/**
 * Writes the Secret as the kubelet does: a world-writable tmpfs-like directory (drwxrwxrwt) holding a
 * timestamped directory, a `..data` symlink to it and `authorized_keys -> ..data/authorized_keys`,
 * files root-owned with the Pod's defaultMode 0444. Mounted read-only.
 */
function writeSecretVolume(dir: string, authorizedKeys: string): void {
  const stamp = '..2026_12_02_00_00_00.000000001';
  mkdirSync(path.join(dir, stamp), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(dir, stamp, 'authorized_keys'), authorizedKeys, { mode: 0o444 });
  symlinkSync(stamp, path.join(dir, '..data'));
  symlinkSync('..data/authorized_keys', path.join(dir, 'authorized_keys'));
}

function bindMount(source: string, destination: string, readOnly = false) {
  return {
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', ...(readOnly ? ['ro'] : ['rw'])],
  };
}

/** What every container gets from its runtime: /proc, /dev and its parts, /sys and cgroups (rw when privileged). */
function runtimeMounts(privileged: boolean) {
  const access = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', access] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', access],
    },
  ];
}

export function writeBundle(spec: MachineSpec): { bundle: string; console: string; terminationLog: string } {
  const bundle = path.join(spec.workDir, 'bundle');
  const files = path.join(spec.workDir, 'runtime');
  const secret = path.join(spec.workDir, 'secret');
  for (const d of [bundle, files]) mkdirSync(d, { recursive: true });
  rmSync(secret, { recursive: true, force: true });
  mkdirSync(secret);
  // chmod after creation: mkdir's mode is filtered by the umask.
  chmodSync(secret, 0o1777);
  writeSecretVolume(secret, spec.authorizedKeys);
  writeFileSync(path.join(files, 'hostname'), `${spec.hostname}\n`);
  writeFileSync(
    path.join(files, 'hosts'),
    `127.0.0.1 localhost\n::1 localhost\n${MACHINE_ADDRESS} ${spec.hostname}\n`,
  );
  writeFileSync(path.join(files, 'resolv.conf'), `nameserver ${CLIENT_ADDRESS}\n`);
  // As cri-o does for every container: the file the kubelet reads the termination message from.
  writeFileSync(path.join(files, 'termination-log'), '');
  const caps = privilegedCaps();
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/sbin/init'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'container=oci'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps },
      noNewPrivileges: false,
    },
    root: { path: spec.tree, readonly: false },
    hostname: spec.hostname,
    mounts: [
      ...runtimeMounts(true),
      // cri-o's systemd mode (an entrypoint containing /sbin/init): these four on tmpfs, with its options.
      ...['/run', '/run/lock', '/tmp', '/var/log/journal'].map((destination) => ({
        destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['rw', 'rprivate', 'noexec', 'nosuid', 'nodev', 'tmpcopyup'],
      })),
      bindMount(path.join(files, 'hostname'), '/etc/hostname'),
      bindMount(path.join(files, 'hosts'), '/etc/hosts'),
      bindMount(path.join(files, 'resolv.conf'), '/etc/resolv.conf'),
      bindMount(path.join(files, 'termination-log'), '/dev/termination-log'),
      bindMount(secret, '/etc/tispace/ssh', true),
      ...(spec.extraMounts ?? []).map((m) => bindMount(m.source, m.destination)),
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network', path: `/var/run/netns/${spec.netns}` },
      ],
      cgroupsPath: `/${CGROUP_PARENT}/${spec.id}`,
      resources: { devices: [{ allow: true, access: 'rwm' }] },
    },
  };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  return {
    bundle,
    console: path.join(spec.workDir, 'console.log'),
    terminationLog: path.join(files, 'termination-log'),
  };
}

const CGROUP_PARENT = 'tispace-images-test';

/** Removes the (empty) parent cgroups runc leaves behind; one still in use by another run stays. */
export function removeCgroupParents(): void {
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  for (const h of hierarchies) {
    try {
      rmdirSync(path.join('/sys/fs/cgroup', h, CGROUP_PARENT));
    } catch {
      // absent, or busy
    }
  }
}

/** runc's state of our containers lives apart from any other runc user's (cri-o's /run/runc). */
export const RUNC_ROOT = '/run/tispace-images-test';

export function runc(args: string[]) {
  return tryRun('runc', ['--root', RUNC_ROOT, ...args]);
}

/**
 * Starts the machine detached; PID 1's output (what a Pod's log shows) is appended to the console
 * file. Returns when runc has started it.
 */
export async function startMachine(spec: MachineSpec): Promise<{ console: string; terminationLog: string }> {
  const { bundle, console, terminationLog } = writeBundle(spec);
  const out = openSync(console, 'a');
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('runc', ['--root', RUNC_ROOT, 'run', '--detach', '--bundle', bundle, spec.id], {
        stdio: ['ignore', out, out],
      });
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    if (code !== 0)
      throw new Error(`runc run ${spec.id} failed (exit ${code}):\n${readFileSync(console, 'utf8')}`);
  } finally {
    closeSync(out);
  }
  return { console, terminationLog };
}

export async function machineStatus(id: string): Promise<string | undefined> {
  const r = await runc(['state', id]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { status: string }).status;
}

/** Halts systemd as a runtime would (SIGRTMIN+3 = 37; this runc knows no RTMIN names), waits, then deletes the container. */
export async function stopMachine(id: string, timeoutMs = 60_000): Promise<void> {
  if ((await machineStatus(id)) === 'running') {
    await runc(['kill', id, '37']);
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (await machineStatus(id)) === 'running') await sleep(250);
  }
  await runc(['delete', '--force', id]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until something in `netns` accepts TCP at host:port and sends an SSH banner. */
export async function waitForSsh(netns: string, host: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    // Connect from inside the client namespace: the host's namespace has no route to it.
    const r = await tryRun(
      'ip',
      ['netns', 'exec', netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/22 && head -c 7 <&3`],
      {
        timeout: 5000,
      },
    );
    if (r.stdout.startsWith('SSH-2.0')) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`no sshd answered on ${host}:22 in ${netns} within ${timeoutMs} ms`);
}

export interface JobSpec {
  id: string;
  /** The image's tree, mounted read-only as the root (a Job's container does not write to it). */
  tree: string;
  workDir: string;
  args: string[];
  /** Capability names without the CAP_ prefix, as a Pod's securityContext lists them. */
  capabilities: string[];
  mounts: { source: string; destination: string; readOnly?: boolean }[];
}

/** Runs one process in the tree as a Job's container would, in the foreground; its exit code and output. */
export async function runJob(spec: JobSpec): Promise<{ code: number; output: string }> {
  const bundle = path.join(spec.workDir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  const caps = spec.capabilities.map((c) => `CAP_${c}`);
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: spec.args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: spec.tree, readonly: true },
    hostname: spec.id,
    mounts: [
      ...runtimeMounts(false),
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      ...spec.mounts.map((m) => bindMount(m.source, m.destination, m.readOnly)),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      cgroupsPath: `/${CGROUP_PARENT}/${spec.id}`,
    },
  };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const r = await new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn('runc', ['--root', RUNC_ROOT, 'run', '--bundle', bundle, spec.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
  await runc(['delete', '--force', spec.id]);
  return r;
}
