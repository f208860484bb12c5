// A TiSpace machine for real: the provisioner creates it on the real node (kubelet + cri-o with TiSpace's
// patch, runc in place of Kata), its root file system is the user's btrfs volume cloned from the golden
// debian-12 snapshot, and the owner logs in with the real OpenSSH client through the SSH gateway to the
// machine's ClusterIP Service, using the SSH command the provisioner prints.
// The login trusts only what TiSpace told the user (the gateway's key and the machine's stored host keys).
// The disk survives stop/start (delete/restore: real-slack.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Instance, knownHostsLines, type Provisioner, sshCommand } from '../../provisioner/api.ts';
import { keyscanHostKeys } from '../../provisioner/ssh/host-key-reader.ts';
import { prepareDebianMachine } from '../cluster/node/debian-machine.ts';
import { namespaceConfig } from '../support/config.ts';
import { runPrintedJump } from '../support/ssh-jump.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { type FrontDoor, gatewayConfig, startFrontDoor } from './support/gateway.ts';
import { linkUser, startProvisioner, waitForInstance } from './support/provisioner.ts';
import { freshSshKey, pvcDirectory, realNodeRunning } from './support/real-node.ts';

describe.runIf(realNodeRunning())('a TiSpace machine on the real node', () => {
  const ns = useNamespace('real-vm');
  let p: Provisioner;
  let door: FrontDoor;

  beforeAll(async () => {
    const machine = await prepareDebianMachine(kubeConfig(), ns.name);
    const { port, gateway } = await gatewayConfig();
    // A real sshd: its host keys are read with ssh-keyscan (the host reaches ClusterIPs through kube-proxy).
    p = await startProvisioner({
      config: namespaceConfig(ns.name, { ...machine.config, gateway }),
      hostKeys: keyscanHostKeys,
    });
    door = await startFrontDoor(p, { kubeConfig: kubeConfig(), port });
  }, 1_800_000);

  afterAll(async () => {
    await door?.close();
    await p?.stop();
  });

  const trusted = (i: Instance) => [door.gateway.knownHostsLine, ...knownHostsLines(i)];

  /** Logs in with the printed command until sshd answers (it starts a few seconds after the Pod). */
  async function login(id: string, key: ReturnType<typeof freshSshKey>, remote: string) {
    const instance = await waitForInstance(
      p,
      id,
      (i) => i.phase === 'running' && !!i.sshHost && i.hostKeys.length > 0,
      'running with its host keys read',
      180_000,
    );
    const printed = sshCommand(instance);
    if (!printed) throw new Error('no SSH command');
    await door.gateway.waitForHost(instance.sshHost!);
    return waitFor(
      async () => {
        const r = await runPrintedJump(printed, key, remote, { knownHosts: trusted(instance) });
        return r.code === 0 ? { ...r, printed, jump: instance.sshJump, instance } : undefined;
      },
      { timeoutMs: 120_000, what: `ssh login to ${id}`, intervalMs: 1_000 },
    );
  }

  it("boots from the owner's volume, the printed ssh command logs in, and the disk survives stop/start", {
    timeout: 900_000,
  }, async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const u = linkUser(p, 'UREAL1');
    const key = freshSshKey('ureal1@test');
    expect(p.api.addKey(u, key.publicKey).ok).toBe(true);
    const created = await p.api.create(u, { name: 'box', cpu: 1, memoryGiB: 1, image: 'debian-12' });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;

    const first = await login(id, key, 'findmnt -no SOURCE,FSTYPE /; systemctl is-system-running; id -un');
    // The printed command jumps through the gateway to the machine's stable name.
    expect(first.printed).toBe(`ssh -J ${first.jump} debian@${id}-ssh.${ns.name}`);
    const pvc = await core
      .readNamespacedPersistentVolumeClaim({ name: `${id}-root`, namespace: ns.name })
      .catch(
        async () =>
          (
            await core.listNamespacedPersistentVolumeClaim({
              namespace: ns.name,
              labelSelector: `tispace.io/instance=${id}`,
            })
          ).items[0]!,
      );
    const [source, systemState, user] = first.stdout.trim().split('\n');
    // The root is the PVC's btrfs subvolume, not the image.
    expect(source).toMatch(new RegExp(`\\[/vols/${pvc.spec?.volumeName}\\] btrfs$`));
    expect(systemState).toMatch(/^(running|degraded|starting)$/);
    expect(user).toBe('debian');
    const write = await runPrintedJump(
      first.printed,
      key,
      'echo kept > ~/note && echo tool | sudo -n tee /usr/local/bin/mytool >/dev/null',
      { knownHosts: trusted(first.instance) },
    );
    expect(write.code, write.stderr).toBe(0);

    // stop: the Pod goes, the files stay on the volume.
    expect(p.api.stop(u, 'box').ok).toBe(true);
    await waitForInstance(p, id, (i) => i.phase === 'stopped', 'stopped', 180_000);
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `tispace.io/instance=${id}` }))
          .items.length === 0
          ? true
          : undefined,
      { timeoutMs: 120_000, what: 'the Pod gone' },
    );
    const dir = await pvcDirectory(ns.name, pvc.metadata?.name ?? '');
    expect(readFileSync(path.join(dir, 'home', 'debian', 'note'), 'utf8')).toBe('kept\n');
    expect(existsSync(path.join(dir, 'usr', 'local', 'bin', 'mytool'))).toBe(true);

    // start: same volume, files there.
    expect((await p.api.start(u, 'box')).ok).toBe(true);
    const again = await login(id, key, 'cat ~/note /usr/local/bin/mytool');
    expect(again.stdout).toBe('kept\ntool\n');
    // Same machine, same host key: the disk keeps it, so known_hosts stays valid across restarts.
    expect(again.instance.hostKeys).toEqual(first.instance.hostKeys);
    const pvcAfter = await core.readNamespacedPersistentVolumeClaim({
      name: pvc.metadata?.name ?? '',
      namespace: ns.name,
    });
    expect(pvcAfter.metadata?.uid).toBe(pvc.metadata?.uid);
  });
});
