// One SSH front door, for real: machines boot on the real node (kubelet + TiSpace's patched cri-o), TiSpace
// serves the gateway's HTTP calls with a token, and the gateway is Debian's real sshd with the shipped
// images/gateway/ configuration and scripts (test/cluster/gateway.ts). Every login is the real OpenSSH
// client, with a fresh key per user and a known_hosts file holding only what TiSpace told the user: the
// gateway's key and the machine's stored host keys (StrictHostKeyChecking yes).
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actor,
  type Instance,
  knownHostsLines,
  type Provisioner,
  primaryHostKey,
  sshCommand,
  sshConfigBlock,
} from '../../provisioner/api.ts';
import { keyscanHostKeys } from '../../provisioner/ssh/host-key-reader.ts';
import { prepareDebianMachine } from '../cluster/node/debian-machine.ts';
import { namespaceConfig } from '../support/config.ts';
import { freePort } from '../support/ports.ts';
import { runPrintedJump, runSsh, type SshRun, writeSshConfig } from '../support/ssh-jump.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { type FrontDoor, gatewayConfig, startFrontDoor } from './support/gateway.ts';
import { linkUserWithKey, startProvisioner, waitForInstance } from './support/provisioner.ts';
import { freshSshKey, realNodeRunning } from './support/real-node.ts';

type Key = ReturnType<typeof freshSshKey>;

const REFUSED_CHANNEL = 'administratively prohibited';
const REFUSED_KEY = 'Permission denied (publickey)';

const fingerprintOf = (publicKey: string): string =>
  execFileSync('ssh-keygen', ['-lf', '-'], { input: publicKey, encoding: 'utf8' }).split(/\s+/)[1]!;

describe.runIf(realNodeRunning())('the SSH gateway, real OpenSSH on both ends', () => {
  const ns = useNamespace('real-gw');
  let p: Provisioner;
  let door: FrontDoor;
  const core = () => kubeConfig().makeApiClient(CoreV1Api);

  beforeAll(async () => {
    const machine = await prepareDebianMachine(kubeConfig(), ns.name);
    const { port, gateway } = await gatewayConfig();
    p = await startProvisioner({
      config: namespaceConfig(ns.name, { ...machine.config, gateway }),
      // A real sshd: its host keys are read with ssh-keyscan (the host reaches ClusterIPs through kube-proxy).
      hostKeys: keyscanHostKeys,
    });
    door = await startFrontDoor(p, { kubeConfig: kubeConfig(), port, reportIntervalSeconds: 2 });
  }, 1_800_000);

  afterAll(async () => {
    await door?.close();
    await p?.stop();
  });

  const user = (userId: string) => linkUserWithKey(p, userId);

  async function running(actor: Actor, name: string): Promise<Instance> {
    const created = await p.api.create(actor, { name, cpu: 1, memoryGiB: 1, image: 'debian-12' });
    if (!created.ok) throw new Error(created.error.message);
    return runningAgain(actor, created.value.id);
  }

  async function runningAgain(actor: Actor, id: string): Promise<Instance> {
    await waitForInstance(
      p,
      id,
      (i) => i.phase === 'running' && !!i.sshHost && i.hostKeys.length > 0,
      'running with its host keys read',
      300_000,
    );
    const got = p.api.get(actor, id);
    if (!got.ok) throw new Error(got.error.message);
    // The gateway resolves the machine's name once its Service is in /etc/hosts (cluster DNS here).
    await door.gateway.waitForHost(got.value.sshHost!);
    return got.value;
  }

  /** What the user trusts: the gateway's key and the machine's stored host keys, nothing else. */
  const trusted = (instance: Instance) => [door.gateway.knownHostsLine, ...knownHostsLines(instance)];

  const printed = (instance: Instance): string => {
    const command = sshCommand(instance);
    if (!command) throw new Error(`${instance.name}: no SSH command`);
    return command;
  };

  /** The printed command, retried until it logs in (sshd may still be settling after keyscan). */
  function login(instance: Instance, key: Key, remote: string): Promise<SshRun> {
    return waitFor(
      async () => {
        const r = await runPrintedJump(printed(instance), key, remote, { knownHosts: trusted(instance) });
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 120_000, what: `ssh login to ${instance.name}`, intervalMs: 1_000 },
    );
  }

  /** `ssh -W <target>` through the gateway with `key`: whether the channel opened (the target's banner came). */
  function channel(key: Key, target: string): Promise<{ opened: boolean; stdout: string; stderr: string }> {
    const config = writeSshConfig(key, { knownHosts: [door.gateway.knownHostsLine] });
    return new Promise((resolve) => {
      const child = spawn('ssh', [
        '-F',
        config,
        '-W',
        target,
        '-p',
        String(door.gateway.port),
        'tispace@127.0.0.1',
      ]);
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill(), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) child.kill(); // a banner line: the channel is open
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ opened: stdout.startsWith('SSH-2.0-'), stdout, stderr });
      });
    });
  }

  /** `ssh -N -L <local>:<target>` through the gateway: what a connection to the local end receives. */
  async function localForward(key: Key, target: string): Promise<{ received: string; stderr: string }> {
    const config = writeSshConfig(key, { knownHosts: [door.gateway.knownHostsLine] });
    const local = await freePort();
    const child = spawn('ssh', [
      '-F',
      config,
      '-N',
      '-L',
      `127.0.0.1:${local}:${target}`,
      '-p',
      String(door.gateway.port),
      'tispace@127.0.0.1',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      const received = await waitFor(
        () =>
          new Promise<string | undefined>((resolve) => {
            const s = connect({ host: '127.0.0.1', port: local });
            let data = '';
            s.setTimeout(10_000, () => s.destroy());
            s.on('data', (d) => {
              data += d.toString();
              if (data.includes('\n')) s.destroy();
            });
            s.on('error', () => resolve(undefined)); // not listening yet
            s.on('close', (hadError) => resolve(hadError ? undefined : data));
          }),
        { timeoutMs: 20_000, what: `the -L listener for ${target}` },
      );
      await new Promise((r) => setTimeout(r, 200)); // let ssh write why the channel was refused
      return { received, stderr };
    } finally {
      child.kill();
    }
  }

  let ada: { actor: Actor; key: Key };
  let adaSecond: Key;
  let adaBox: Instance;

  it("the owner's key logs in through the gateway with the printed command and with the config block; the host key is the stored one; the open session is reported", {
    timeout: 900_000,
  }, async () => {
    ada = user('UGWADA');
    adaSecond = freshSshKey('ada@desktop');
    expect(p.api.addKey(ada.actor, adaSecond.publicKey).ok).toBe(true);
    adaBox = await running(ada.actor, 'box');
    expect(printed(adaBox)).toBe(`ssh -J ${door.gateway.jump} debian@${adaBox.id}-ssh.${ns.name}`);

    const first = await login(adaBox, ada.key, 'id -un; findmnt -no FSTYPE /');
    expect(first.stdout).toBe('debian\nbtrfs\n');

    // The host keys ssh saw (-v prints each hop's): the gateway's, then the machine's stored one.
    const seen = await runSsh(ada.key, ['-v', ...printed(adaBox).split(' ').slice(1), 'true'], {
      knownHosts: trusted(adaBox),
    });
    expect(seen.code, seen.stderr).toBe(0);
    const hostKeys = [...seen.stderr.matchAll(/Server host key: \S+ (SHA256:\S+)/g)].map((m) => m[1]);
    expect(hostKeys).toEqual([fingerprintOf(door.gateway.hostKey), primaryHostKey(adaBox)!.fingerprint]);
    // Trusting another key under the machine's name fails: the check is real.
    const impostor = freshSshKey('impostor').publicKey.split(' ').slice(0, 2).join(' ');
    const refused = await runPrintedJump(printed(adaBox), ada.key, 'true', {
      knownHosts: [door.gateway.knownHostsLine, `${adaBox.sshHost} ${impostor}`],
    });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);

    // ~/.ssh/config as the dashboard gives it: `ssh box.tispace` alone.
    const block = sshConfigBlock(adaBox);
    expect(block).toContain(`Host box.tispace`);
    const viaConfig = await runSsh(ada.key, ['box.tispace', 'id -un'], {
      config: block!,
      knownHosts: trusted(adaBox),
    });
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    expect(viaConfig.stdout).toBe('debian\n');

    // An open session through the gateway is reported (every 2 s here) and credited to the machine.
    const target = { id: adaBox.id, ownerId: ada.actor.userId } as const;
    const open = runPrintedJump(printed(adaBox), ada.key, 'sleep 12', { knownHosts: trusted(adaBox) });
    const during = await waitFor(
      async () => {
        const s = p.gatewaySessions.signal(target, new Date());
        return s.available && s.activeSessions === 1 ? s : undefined;
      },
      { timeoutMs: 10_000, what: 'the open session reported' },
    );
    expect(during.available && during.openSince).toBeTruthy();
    expect((await open).code).toBe(0);
    await waitFor(
      async () => {
        const s = p.gatewaySessions.signal(target, new Date());
        return s.available && s.activeSessions === 0 && s.lastSessionAt ? s : undefined;
      },
      { timeoutMs: 10_000, what: 'the ended session reported gone' },
    );
  });

  it('no channel goes anywhere but the key owner’s running machine, by its name, on port 22', {
    timeout: 300_000,
  }, async () => {
    const apiServer = new URL(kubeConfig().getCurrentCluster()!.server);
    await door.gateway.waitForHost('kubernetes.default');
    const svc = await core().readNamespacedService({ name: `${adaBox.id}-ssh`, namespace: ns.name });
    const clusterIp = svc.spec!.clusterIP!;

    // The control: her machine by name opens (its sshd's banner comes back through the channel). Retried
    // like a login: the host's ClusterIP rules can be missing for a moment (see test/cluster/README.md).
    const own = await waitFor(
      async () => {
        const r = await channel(ada.key, `${adaBox.sshHost}:22`);
        return r.opened ? r : undefined;
      },
      { timeoutMs: 120_000, what: 'a channel to her own machine', intervalMs: 1_000 },
    );
    expect(own.stdout).toMatch(/^SSH-2\.0-OpenSSH/);

    for (const target of [
      `127.0.0.1:${apiServer.port}`, // the Kubernetes API on this host
      'kubernetes.default:443', // the kubernetes Service
      'kubernetes.default.svc.cluster.local:443',
      '127.0.0.1:22', // the gateway's own loopback
      '127.0.0.1:2222',
      `127.0.0.1:${door.gateway.port}`,
      'localhost:22',
      `${clusterIp}:22`, // her machine, by ClusterIP instead of its name
      `${adaBox.sshHost}:80`, // her machine, another port
    ]) {
      const r = await channel(ada.key, target);
      expect(r.opened, `${target}: ${r.stdout}${r.stderr}`).toBe(false);
      expect(r.stderr, target).toContain(REFUSED_CHANNEL);
    }

    // -L the same: the local end takes the connection, the gateway refuses the channel behind it.
    const ownL = await waitFor(
      async () => {
        const r = await localForward(ada.key, `${adaBox.sshHost}:22`);
        return r.received ? r : undefined;
      },
      { timeoutMs: 120_000, what: 'a -L channel to her own machine', intervalMs: 1_000 },
    );
    expect(ownL.received).toMatch(/^SSH-2\.0-/);
    for (const target of [`127.0.0.1:${apiServer.port}`, 'kubernetes.default:443', `${clusterIp}:22`]) {
      const r = await localForward(ada.key, target);
      expect(r.received, target).toBe('');
      expect(r.stderr, target).toContain(REFUSED_CHANNEL);
    }
  });

  it('refuses another user’s key, an unknown key, and a removed key at once (no restart)', {
    timeout: 300_000,
  }, async () => {
    // Bob is a user with a key but no machine: the gateway lets him in, and no channel out.
    const bob = user('UGWBOB');
    const bobOnAda = await runPrintedJump(printed(adaBox), bob.key, 'true', { knownHosts: trusted(adaBox) });
    expect(bobOnAda.code).toBe(255);
    expect(bobOnAda.stderr).toContain(REFUSED_CHANNEL);

    const stranger = freshSshKey('stranger@nowhere');
    const unknown = await runPrintedJump(printed(adaBox), stranger, 'true', { knownHosts: trusted(adaBox) });
    expect(unknown.code).toBe(255);
    expect(unknown.stderr).toContain(REFUSED_KEY);

    // Ada's second key works, then she removes it: refused on the very next try.
    const before = await login(adaBox, adaSecond, 'id -un');
    expect(before.stdout).toBe('debian\n');
    expect(p.api.removeKey(ada.actor, fingerprintOf(adaSecond.publicKey)).ok).toBe(true);
    const after = await runPrintedJump(printed(adaBox), adaSecond, 'id -un', { knownHosts: trusted(adaBox) });
    expect(after.code).toBe(255);
    expect(after.stderr).toContain(REFUSED_KEY);
    // Her other key still works.
    expect((await login(adaBox, ada.key, 'id -un')).stdout).toBe('debian\n');
  });

  it('refuses a stopped machine, another user’s machine by name, and a deactivated user', {
    timeout: 900_000,
  }, async () => {
    // Ada stops her machine: her key no longer opens a channel to it.
    expect(p.api.stop(ada.actor, 'box').ok).toBe(true);
    await waitForInstance(p, adaBox.id, (i) => i.phase === 'stopped', 'stopped', 180_000);
    const stopped = await runPrintedJump(printed(adaBox), ada.key, 'true', { knownHosts: trusted(adaBox) });
    expect(stopped.code).toBe(255);
    expect(stopped.stderr).toContain(REFUSED_CHANNEL);
    await waitFor(
      async () =>
        (
          await core().listNamespacedPod({
            namespace: ns.name,
            labelSelector: `tispace.io/instance=${adaBox.id}`,
          })
        ).items.length === 0
          ? true
          : undefined,
      { timeoutMs: 180_000, what: "Ada's Pod gone (the node has 2 CPUs)" },
    );

    // Carol's machine runs; her key opens hers only: Ada's machine by its name (its Service and /etc/hosts
    // entry stay while it is stopped) is refused, as is her own by ClusterIP.
    const carol = user('UGWCAROL');
    const carolBox = await running(carol.actor, 'cbox');
    expect((await login(carolBox, carol.key, 'id -un')).stdout).toBe('debian\n');
    const adaName = await channel(carol.key, `${adaBox.sshHost}:22`);
    expect(adaName.opened).toBe(false);
    expect(adaName.stderr).toContain(REFUSED_CHANNEL);
    const svc = await core().readNamespacedService({ name: `${carolBox.id}-ssh`, namespace: ns.name });
    const byIp = await channel(carol.key, `${svc.spec!.clusterIP}:22`);
    expect(byIp.opened).toBe(false);
    expect(byIp.stderr).toContain(REFUSED_CHANNEL);
    // Ada's key does not open Carol's machine.
    const adaOnCarol = await runPrintedJump(printed(carolBox), ada.key, 'true', {
      knownHosts: trusted(carolBox),
    });
    expect(adaOnCarol.code).toBe(255);
    expect(adaOnCarol.stderr).toContain(REFUSED_CHANNEL);

    // Carol leaves the company: her key is refused at the gateway right away.
    p.api.offboard(carol.actor.userId, 'left the company');
    const gone = await runPrintedJump(printed(carolBox), carol.key, 'true', {
      knownHosts: trusted(carolBox),
    });
    expect(gone.code).toBe(255);
    expect(gone.stderr).toContain(REFUSED_KEY);
  });
});
