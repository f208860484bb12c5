// TiSpace's SSH gateway (images/gateway/) as a host process, for the real-node tests and the benchmark: Debian's
// real /usr/sbin/sshd with the SHIPPED sshd_config and scripts, at their image paths, in a private mount
// namespace (root only). Inside it, and invisible to the host:
//
// - /run is a tmpfs: sshd's privilege-separation directory /run/sshd, and the writable layer of /etc;
// - /etc is an overlay of the host's /etc: the `tispace` user appended to passwd/group (password `*`, shell
//   nologin, a uid free on this host), /etc/tispace-gateway/{url,token}, the host key at the image's path
//   /etc/ssh/host-keys/, the shipped sshd_config as /etc/ssh/sshd_config. An overlay because
//   /etc/tispace-gateway does not exist on a host and a mount point must: this way nothing is created
//   on the host's /etc, and nothing is left behind when the namespace ends with its last process;
// - /etc/hosts is a bind mount of a file this module rewrites IN PLACE (truncate + write: the bind mount
//   pins the inode, a rename would not be seen) from the cluster's Services, kept current by a watch:
//   `<clusterIP> <svc>.<ns> <svc>.<ns>.svc.cluster.local`. It stands in for cluster DNS, which the local
//   control plane does not run; in production the gateway Pod resolves the same names through it;
// - /usr/local is a tmpfs holding the shipped scripts in /usr/local/bin, root-owned and 0755 (sshd refuses
//   an AuthorizedKeysCommand on a path anyone but root can write).
//
// Then, as in the gateway Pod, the session reporter runs as nobody (setpriv: no capabilities) in the
// background, and the shipped entrypoint runs `sshd -D -e` in the foreground with one command-line override:
// ListenAddress 127.0.0.1:<free port> (the image listens on 2222 everywhere).
// The real node's kube-proxy programs the ClusterIPs on this host, so sshd's channels to `<svc>.<ns>:22`
// reach the machines exactly as from a gateway Pod.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Service, Watch } from '@kubernetes/client-node';
import { GATEWAY_DIR } from '../../images/gateway-builder.ts';
import { freePort } from '../support/ports.ts';
import { groupMembers } from './processes.ts';

export const GATEWAY_USER = 'tispace';

/**
 * The gateway's ed25519 host key in `file` (made there first when absent): the private key as the
 * Secret holds it and the public `type base64` pair, as a known_hosts line or ssh-keyscan shows it.
 */
export function gatewayHostKey(file: string): { privateKey: string; publicKey: string } {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tispace-gateway', '-f', file]);
  }
  const publicLine = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
  return {
    privateKey: readFileSync(file, 'utf8'),
    publicKey: publicLine.trim().split(/\s+/).slice(0, 2).join(' '),
  };
}

/**
 * The environment sshd runs its AuthorizedKeysCommand with (PATH, USER, LOGNAME, HOME of the command's
 * user, nobody), plus TISPACE_GATEWAY_DIR: where the url and token files are outside the image.
 */
export function keyCommandEnv(gatewayDir: string): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
    USER: 'nobody',
    LOGNAME: 'nobody',
    HOME: '/nonexistent',
    TISPACE_GATEWAY_DIR: gatewayDir,
  };
}

export interface LocalGatewayOptions {
  /** Whose Services become /etc/hosts entries (all namespaces, as cluster DNS resolves them). */
  kubeConfig: KubeConfig;
  /** TiSpace's base URL, e.g. http://127.0.0.1:3000 (the gateway's /etc/tispace-gateway/url). */
  tispaceUrl: string;
  /** TISPACE_GATEWAY_TOKEN (the gateway's /etc/tispace-gateway/token). */
  token: string;
  /** Seconds between session reports (the image's 30 by default). */
  reportIntervalSeconds?: number;
  /** The reporter's gateway name (a Pod's name in production). */
  id?: string;
  /** The loopback port to listen on (chosen beforehand when TiSpace's config must name it); free by default. */
  port?: number;
  /**
   * An ed25519 private key file to use as the gateway's host key, created there if missing (`npm run dev`:
   * the key users trust stays the same across runs). A fresh key per gateway by default.
   */
  hostKeyFile?: string;
}

export interface LocalGateway {
  host: string;
  port: number;
  /** `tispace@127.0.0.1:<port>`: the ProxyJump spec users are given. */
  jump: string;
  /** The gateway's own host key line (`ssh-ed25519 AAAA…`) and its known_hosts entry. */
  hostKey: string;
  knownHostsLine: string;
  /** The namespace's first process (sshd after exec); its process group holds the reporter too. */
  pid: number;
  logFile: string;
  /** sshd's and the reporter's output so far. */
  log(): string;
  /** The current /etc/hosts of the gateway. */
  hosts(): string;
  /** Waits until /etc/hosts resolves `name` (`<svc>.<ns>`); its address. */
  waitForHost(name: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Runs the gateway; resolves once sshd answers with its banner. Needs root (mount namespace, sshd). */
export async function startLocalGateway(o: LocalGatewayOptions): Promise<LocalGateway> {
  if (process.getuid?.() !== 0) throw new Error('the local SSH gateway needs root (mount namespace, sshd)');
  const state = mkdtempSync(path.join(tmpdir(), 'tispace-gateway-'));
  const file = (name: string) => path.join(state, name);
  const port = o.port ?? (await freePort());
  const host = '127.0.0.1';

  const uid = freeId(readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8'));
  writeFileSync(
    file('passwd'),
    `${GATEWAY_USER}:*:${uid}:${uid}:TiSpace gateway:/nonexistent:/usr/sbin/nologin\n`,
  );
  writeFileSync(file('group'), `${GATEWAY_USER}:x:${uid}:\n`);
  writeFileSync(file('url'), `${o.tispaceUrl}\n`);
  writeFileSync(file('token'), `${o.token}\n`, { mode: 0o600 });
  // A given host key file is kept (made once), so gateways started from it are one host to clients.
  const key = gatewayHostKey(o.hostKeyFile ?? file('generated_host_key'));
  writeFileSync(file('host_key'), key.privateKey, { mode: 0o600 });
  const hostKey = key.publicKey;

  const hostsFile = file('hosts');
  const hosts = new HostsFile(hostsFile);
  const stopWatch = await watchServices(o.kubeConfig, (services) => hosts.write(services));

  const logFile = file('gateway.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      '/bin/sh',
      '-euc',
      NAMESPACE_SCRIPT,
      'tispace-gateway',
      state,
      GATEWAY_DIR,
      `${host}:${port}`,
    ],
    {
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        GATEWAY_NAME: o.id ?? `local-gateway-${port}`,
        TISPACE_REPORT_INTERVAL: String(o.reportIntervalSeconds ?? 30),
      },
    },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start unshare');
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (${signal ?? `code ${code}`})`;
  });
  child.unref();
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const stop = async () => {
    stopWatch();
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + 5_000;
    while (groupMembers(pid).length > 0 && Date.now() < deadline) await sleep(50);
    if (groupMembers(pid).length > 0) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  while (!(await sshBanner(host, port))) {
    if (exited || Date.now() > deadline) {
      const why = exited ?? 'did not answer within 15 s';
      const tail = readLog().split('\n').slice(-20).join('\n');
      await stop();
      throw new Error(`the local SSH gateway ${why}:\n${tail}`);
    }
    await sleep(50);
  }

  return {
    host,
    port,
    jump: `${GATEWAY_USER}@${host}:${port}`,
    hostKey,
    knownHostsLine: `[${host}]:${port} ${hostKey}`,
    pid,
    logFile,
    log: readLog,
    hosts: () => readFileSync(hostsFile, 'utf8'),
    async waitForHost(name, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const address = hosts.lookup(name);
        if (address) return address;
        if (Date.now() > until)
          throw new Error(`the gateway's /etc/hosts has no ${name} after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    stop,
  };
}

// Runs as root inside the new mount namespace (private propagation: nothing leaks to the host).
// $1 = state directory, $2 = images/gateway, $3 = listen address.
const NAMESPACE_SCRIPT = `
state=$1 image=$2 listen=$3
mount -t tmpfs -o mode=0755,size=16m tispace-gateway-run /run
mkdir -p /run/etc/upper /run/etc/work
mount -t overlay -o lowerdir=/etc,upperdir=/run/etc/upper,workdir=/run/etc/work tispace-gateway-etc /etc
cat "$state/passwd" >>/etc/passwd
cat "$state/group" >>/etc/group
mkdir -p /etc/tispace-gateway /etc/ssh/host-keys
install -m 0644 "$state/url" /etc/tispace-gateway/url
install -m 0640 -g nogroup "$state/token" /etc/tispace-gateway/token
install -m 0400 "$state/host_key" /etc/ssh/host-keys/ssh_host_ed25519_key
rm -rf /etc/ssh/sshd_config.d
install -m 0644 "$image/sshd_config" /etc/ssh/sshd_config
mount --bind "$state/hosts" /etc/hosts
mount -t tmpfs -o mode=0755,size=4m tispace-gateway-bin /usr/local
mkdir -m 0755 /usr/local/bin
install -m 0755 "$image/tispace-authorized-keys" "$image/tispace-session-report" "$image/tispace-gateway" /usr/local/bin/
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
  /usr/local/bin/tispace-session-report &
exec /usr/local/bin/tispace-gateway -o "ListenAddress=$listen"
`;

/** A uid (= gid) below 65534 used by no user and no group here, for the namespace's `tispace`. */
function freeId(passwd: string, group: string): number {
  const taken = new Set<number>();
  for (const line of `${passwd}\n${group}`.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === GATEWAY_USER)
      throw new Error(
        `this host already has a ${GATEWAY_USER} user or group; the local gateway adds its own`,
      );
    if (id) taken.add(Number(id));
  }
  for (let id = 64_000; id > 1_000; id--) if (!taken.has(id)) return id;
  throw new Error('no free uid for the gateway user');
}

/** The gateway's /etc/hosts: localhost plus one line per Service with a ClusterIP. */
class HostsFile {
  #entries = new Map<string, string>();
  #text = '';
  constructor(private readonly file: string) {
    this.write([]);
  }

  write(services: readonly V1Service[]): void {
    const entries = new Map<string, string>();
    const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
    for (const s of services) {
      const ip = s.spec?.clusterIP;
      const name = s.metadata?.name;
      const ns = s.metadata?.namespace;
      if (!ip || ip === 'None' || !name || !ns) continue;
      entries.set(`${name}.${ns}`, ip);
      lines.push(`${ip} ${name}.${ns} ${name}.${ns}.svc.cluster.local`);
    }
    const text = `# the cluster's Services (test/cluster/gateway.ts stands in for cluster DNS)\n${lines.join('\n')}\n`;
    this.#entries = entries;
    if (text === this.#text) return;
    this.#text = text;
    // In place (O_TRUNC on the same inode): the namespace's /etc/hosts is a bind mount of this very file.
    writeFileSync(this.file, text);
  }

  lookup(name: string): string | undefined {
    return this.#entries.get(name);
  }
}

/** Lists every Service, then follows a watch (relisting after it ends); calls `onChange` with all of them. */
async function watchServices(kc: KubeConfig, onChange: (services: V1Service[]) => void): Promise<() => void> {
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const byKey = new Map<string, V1Service>();
  const key = (s: V1Service) => `${s.metadata?.namespace}/${s.metadata?.name}`;
  let stopped = false;
  let abort: AbortController | undefined;
  const run = async (): Promise<void> => {
    const list = await core.listServiceForAllNamespaces();
    byKey.clear();
    for (const s of list.items) byKey.set(key(s), s);
    onChange([...byKey.values()]);
    abort = await watch.watch(
      '/api/v1/services',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type: string, s: V1Service) => {
        if (type === 'BOOKMARK') return;
        if (type === 'DELETED') byKey.delete(key(s));
        else byKey.set(key(s), s);
        onChange([...byKey.values()]);
      },
      () => restart(),
    );
  };
  const restart = () => {
    if (!stopped) setTimeout(() => void run().catch(restart), 1_000).unref();
  };
  await run();
  return () => {
    stopped = true;
    abort?.abort();
  };
}

/** Resolves whether the SSH server at host:port sends its banner (within a second). */
export function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('error', () => done(false));
    s.once('data', (d) => done(d.toString().startsWith('SSH-2.0')));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
