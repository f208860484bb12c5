// The SSH gateway as it ships: its image built from images/gateway/ (provision.sh, as the Containerfile
// runs it) and run by the real node's cri-o and runc from manifests/base/gateway.yaml, two replicas under
// the manifest's securityContext (../cluster/gateway-pod.ts says what the test changes: image reference,
// placement, hostAliases for cluster DNS, the report interval). A user logs in with the printed command
// through the gateway Service's ClusterIP to a real debian-12 machine. The gateway's rules themselves
// (which channels and keys are refused) are real-gateway.test.ts, with the same sshd_config and scripts.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Instance, knownHostsLines, type Provisioner, sshCommand } from '../../provisioner/api.ts';
import { keyscanHostKeys } from '../../provisioner/ssh/host-key-reader.ts';
import { createGatewayService, deployGatewayPods, type GatewayPods } from '../cluster/gateway-pod.ts';
import { prepareDebianMachine } from '../cluster/node/debian-machine.ts';
import { namespaceConfig } from '../support/config.ts';
import { runPrintedJump, type SshRun } from '../support/ssh-jump.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { serveTiSpaceToPods } from './support/gateway.ts';
import { linkUserWithKey, startProvisioner, waitForInstance } from './support/provisioner.ts';
import { type freshSshKey, realNodeRunning } from './support/real-node.ts';

type Key = ReturnType<typeof freshSshKey>;

// Linux capability numbers (capability.h) the manifest adds to sshd's container after dropping ALL.
const CAP = { SETGID: 6, SETUID: 7, SYS_CHROOT: 18 } as const;
const capMask = (...caps: number[]) => caps.reduce((m, c) => m | (1n << BigInt(c)), 0n);

interface ProcessFacts {
  pid: number;
  comm: string;
  uid: number;
  capEff: bigint;
  capBnd: bigint;
  noNewPrivs: boolean;
  seccompFilter: boolean;
  rootReadOnly: boolean;
  parentComm: string;
}

/** The processes of a Pod on this host (the real node is this machine), found by the Pod's cgroup. */
function podProcesses(podUid: string): ProcessFacts[] {
  const marks = [`pod${podUid}`, `pod${podUid.replaceAll('-', '_')}`];
  const facts: ProcessFacts[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, 'utf8');
      if (!marks.some((m) => cgroup.includes(m))) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '';
      const ppid = field('PPid');
      const root = readFileSync(`/proc/${entry}/mountinfo`, 'utf8')
        .split('\n')
        .map((l) => l.split(' '))
        .find((f) => f[4] === '/');
      facts.push({
        pid: Number(entry),
        comm: readFileSync(`/proc/${entry}/comm`, 'utf8').trim(),
        uid: Number(field('Uid').split(/\s+/)[1]), // effective
        capEff: BigInt(`0x${field('CapEff')}`),
        capBnd: BigInt(`0x${field('CapBnd')}`),
        noNewPrivs: field('NoNewPrivs') === '1',
        seccompFilter: field('Seccomp') === '2',
        rootReadOnly: (root?.[5] ?? '').split(',').includes('ro'),
        parentComm: readFileSync(`/proc/${ppid}/comm`, 'utf8').trim(),
      });
    } catch {
      // the process ended while being read
    }
  }
  return facts;
}

describe.runIf(realNodeRunning())('the SSH gateway image in Pods, as the manifest runs it', () => {
  const ns = useNamespace('real-gwpod');
  let p: Provisioner;
  let tispace: Awaited<ReturnType<typeof serveTiSpaceToPods>>;
  let gatewayIp: string;
  let gw: GatewayPods;

  beforeAll(async () => {
    const machine = await prepareDebianMachine(kubeConfig(), ns.name);
    // The Service first: TiSpace's config names the address users jump through.
    gatewayIp = (await createGatewayService(kubeConfig(), ns.name)).clusterIP;
    p = await startProvisioner({
      config: namespaceConfig(ns.name, {
        ...machine.config,
        gateway: { host: gatewayIp, port: 22, user: 'tispace' },
      }),
      hostKeys: keyscanHostKeys,
    });
    tispace = await serveTiSpaceToPods(p);
  }, 1_800_000);

  afterAll(async () => {
    await tispace?.close();
    await p?.stop();
  });

  const user = (userId: string) => linkUserWithKey(p, userId);

  it('the printed command logs in through the gateway Pods, which run with only the capabilities the manifest grants', {
    timeout: 900_000,
  }, async () => {
    const ada = user('UPODADA');
    const created = await p.api.create(ada.actor, { name: 'box', cpu: 1, memoryGiB: 1, image: 'debian-12' });
    if (!created.ok) throw new Error(created.error.message);
    await waitForInstance(
      p,
      created.value.id,
      (i) => i.phase === 'running' && !!i.sshHost && i.hostKeys.length > 0,
      'running with its host keys read',
      300_000,
    );
    const got = p.api.get(ada.actor, created.value.id);
    if (!got.ok) throw new Error(got.error.message);
    const box: Instance = got.value;
    const svc = await kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: `${box.id}-ssh`, namespace: ns.name });

    gw = await deployGatewayPods({
      kubeConfig: kubeConfig(),
      namespace: ns.name,
      tispaceUrl: tispace.url,
      token: tispace.token,
      hostAliases: [{ ip: svc.spec!.clusterIP!, hostnames: [box.sshHost!] }],
      reportIntervalSeconds: 2,
    });
    expect(gw.pods).toHaveLength(2);

    // The command the user is given names the gateway Service (port 22 is left out) and the machine's name.
    const printed = sshCommand(box)!;
    expect(printed).toBe(`ssh -J tispace@${gatewayIp} debian@${box.id}-ssh.${ns.name}`);
    // Trusted: only the gateway's Secret key under its address, and the machine's stored keys.
    const knownHosts = [`${gatewayIp} ${gw.hostKey}`, ...knownHostsLines(box)];
    const login = (key: Key, remote: string) =>
      waitFor(
        async () => {
          const r = await runPrintedJump(printed, key, remote, { knownHosts });
          return r.code === 0 ? r : undefined;
        },
        { timeoutMs: 120_000, what: 'ssh login through the gateway Pods', intervalMs: 1_000 },
      );
    const first: SshRun = await login(ada.key, 'id -un; findmnt -no FSTYPE /');
    expect(first.stdout).toBe('debian\nbtrfs\n');

    // Every replica presents the Secret's host key (users never see a warning whichever one they get).
    for (const pod of gw.pods) {
      const scanned = execFileSync('ssh-keyscan', ['-T', '10', '-t', 'ed25519', '-p', '2222', pod.ip], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(scanned.trim().split(/\s+/).slice(1, 3).join(' '), pod.name).toBe(gw.hostKey);
    }

    // The manifest's securityContext is what runs: sshd (the listener, as root) holds exactly SETUID,
    // SETGID and SYS_CHROOT, cannot gain more (no_new_privs, bounding set), under seccomp, on a read-only
    // root; the reporter runs as nobody with no capability. A login just worked under these limits.
    const allowed = capMask(CAP.SETGID, CAP.SETUID, CAP.SYS_CHROOT);
    for (const pod of gw.pods) {
      const procs = podProcesses(pod.uid);
      const listener = procs.find((f) => f.comm === 'sshd' && f.parentComm !== 'sshd');
      expect(listener, `${pod.name}: sshd among ${JSON.stringify(procs.map((f) => f.comm))}`).toBeDefined();
      expect(listener).toMatchObject({
        uid: 0,
        capEff: allowed,
        capBnd: allowed,
        noNewPrivs: true,
        seccompFilter: true,
        rootReadOnly: true,
      });
      const reporter = procs.find((f) => f.uid === 65534 && f.parentComm !== 'sshd');
      expect(reporter, `${pod.name}: the session reporter`).toMatchObject({
        capEff: 0n,
        capBnd: 0n,
        rootReadOnly: true,
      });
    }

    // Another user's key passes the door and is refused the channel to Ada's machine.
    const bob = user('UPODBOB');
    const bobOnAda = await runPrintedJump(printed, bob.key, 'true', { knownHosts });
    expect(bobOnAda.code).toBe(255);
    expect(bobOnAda.stderr).toContain('administratively prohibited');

    // The reporter container sees the open session (ss in the Pod) and TiSpace credits it to the machine.
    const target = { id: box.id, ownerId: ada.actor.userId } as const;
    const open = runPrintedJump(printed, ada.key, 'sleep 12', { knownHosts });
    await waitFor(
      async () => {
        const s = p.gatewaySessions.signal(target, new Date());
        return s.available && s.activeSessions === 1 ? s : undefined;
      },
      { timeoutMs: 10_000, what: 'the open session reported by a gateway Pod' },
    );
    expect((await open).code).toBe(0);
  });
});
