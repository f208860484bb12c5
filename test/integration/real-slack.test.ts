// The whole product path, as users take it: signed Slack requests to the real Bolt app (fake Slack Web
// API), the real Google sign-in against a fake issuer, the real control plane, and machines that boot on
// the real node (kubelet + TiSpace's patched cri-o, runc in place of Kata, btrfs in place of RBD). Every
// login runs the SSH command from the user's DM as printed, with the real OpenSSH client, through the real
// SSH gateway (Debian's sshd with the shipped images/gateway/ configuration), trusting only the host keys
// TiSpace told the user.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../bot/constants.ts';
import { type Instance, knownHostsLines, primaryHostKey } from '../../provisioner/api.ts';
import { keyscanHostKeys } from '../../provisioner/ssh/host-key-reader.ts';
import { prepareDebianMachine } from '../cluster/node/debian-machine.ts';
import { runPrintedJump, runSsh } from '../support/ssh-jump.ts';
import { type BotHarness, botConfig, startBotHarness } from './support/bot-harness.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { type FrontDoor, gatewayConfig, startFrontDoor } from './support/gateway.ts';
import { freshSshKey, pvcDirectory, realNodeRunning } from './support/real-node.ts';

type Key = ReturnType<typeof freshSshKey>;

describe.runIf(realNodeRunning())('from Slack to a shell on the real node', () => {
  const ns = useNamespace('real-slack');
  let h: BotHarness;
  let door: FrontDoor;
  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);

  beforeAll(async () => {
    const machine = await prepareDebianMachine(kubeConfig(), ns.name);
    const { port, gateway } = await gatewayConfig();
    h = await startBotHarness({
      namespace: ns.name,
      google: true,
      // A real sshd: its host keys are read with ssh-keyscan (the host reaches ClusterIPs via kube-proxy).
      hostKeys: keyscanHostKeys,
      config: botConfig(ns.name, { ...machine.config, gateway }),
    });
    door = await startFrontDoor(h.provisioner, { kubeConfig: kubeConfig(), port });
  }, 1_800_000);

  afterAll(async () => {
    await door?.close();
    await h?.close();
  });

  /** The machine a printed command reaches (its stable name is the command's last word). */
  const machineOf = (printed: string): Instance => {
    const host = printed.split('@').at(-1)!;
    const found = h.provisioner.store.instances.listLive().find((i) => i.sshHost === host);
    if (!found) throw new Error(`no machine named ${host}`);
    return found;
  };

  /** Runs the printed command once: known_hosts holds the gateway's key and the machine's stored ones. */
  const ssh = (printed: string, key: Key, remote: string) =>
    runPrintedJump(printed, key, remote, {
      knownHosts: [door.gateway.knownHostsLine, ...knownHostsLines(machineOf(printed))],
    });

  /** Runs `/tispace <text>` and returns the reply it got. */
  async function run(user: string, text: string): Promise<string> {
    const before = h.replies(user).length;
    const r = await h.command(user, text);
    expect(r.status).toBe(200);
    return h.nextReply(user, before, 30_000);
  }

  const instance = (user: string, ref: string): Instance => {
    const got = h.provisioner.api.get({ userId: user }, ref);
    if (!got.ok) throw new Error(got.error.message);
    return got.value;
  };

  /** The SSH command in the machine's DM once it says the machine is ready (the DM is updated in place). */
  async function commandFromDm(user: string, name: string): Promise<string> {
    const ready = await waitFor(
      async () => {
        const i = instance(user, name);
        return i.phase === 'running' && i.sshHost && i.hostKeys.length && i.notifyRef ? i : undefined;
      },
      { timeoutMs: 240_000, what: `${name} running`, intervalMs: 500 },
    );
    const ref = JSON.parse(ready.notifyRef!) as { channel: string; ts: string };
    await door.gateway.waitForHost(ready.sshHost!);
    return waitFor(
      async () => {
        await h.bot.notifier.idle();
        const m = h.fake.message(ref.channel, ref.ts);
        return /ssh -J \S+ [a-z_][a-z0-9_-]*@[a-z0-9-]+-ssh\.[a-z0-9-]+/.exec(m?.text ?? '')?.[0];
      },
      { timeoutMs: 30_000, what: `the SSH command in ${name}'s DM` },
    );
  }

  /** Logs in with the printed command until sshd answers (it starts a few seconds after the container). */
  function login(printed: string, key: Key, remote: string) {
    return waitFor(
      async () => {
        const r = await ssh(printed, key, remote);
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 120_000, what: `ssh login with ${printed}`, intervalMs: 1_000 },
    );
  }

  /**
   * The machine's ed25519 host key as TiSpace read it and told the user. A login with StrictHostKeyChecking
   * and only these keys in known_hosts succeeded, so it is the key the machine presents.
   */
  const hostKey = (printed: string): string => primaryHostKey(machineOf(printed))!.publicKey;

  async function rootPvc(id: string) {
    const list = await core().listNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      labelSelector: `tispace.io/instance=${id}`,
    });
    return list.items[0];
  }

  async function podsOf(id: string) {
    return (
      await core().listNamespacedPod({ namespace: ns.name, labelSelector: `tispace.io/instance=${id}` })
    ).items;
  }

  /**
   * What the user saves from the last `/tispace ssh-config` reply: the code blocks before "Optional" make the
   * config file (split between machines' blocks), the code blocks after it the known_hosts lines.
   */
  function savedFromSlack(user: string): { config: string; knownHosts: string[] } {
    const blocks = (h.fake.ephemeral.get(user)?.at(-1)?.blocks ?? []) as { text?: { text?: string } }[];
    const texts = blocks.map((b) => b.text?.text ?? '');
    const optional = texts.findIndex((t) => t.startsWith('Optional'));
    const codeOf = (t: string) =>
      /^```([\s\S]*)```$/
        .exec(t)?.[1]
        ?.replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&amp;', '&');
    const pick = (list: string[]) => list.map(codeOf).filter((c): c is string => c !== undefined);
    const head = optional < 0 ? texts : texts.slice(0, optional);
    return {
      config: `${pick(head).join('\n\n')}\n`,
      knownHosts: optional < 0 ? [] : pick(texts.slice(optional)).flatMap((c) => c.split('\n')),
    };
  }

  let adaKey: Key;
  let adaCommand = '';

  it('Ada links Google, adds her key and creates a machine from Slack; the DM’s command logs her in on her own volume', {
    timeout: 900_000,
  }, async () => {
    // Before linking, creating is refused with the way to link.
    expect(await run('UADA', 'create box --image debian-12 --cpu 1 --mem 1')).toMatch(
      /link your Google account/i,
    );
    const signedIn = await h.signInWithGoogle('UADA', 'ada@example.com');
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(h.provisioner.api.whoami({ userId: 'UADA', teamId: 'TFAKE' }).linked).toBe(true);

    // With no key, a machine nobody can log into is not created; the reply says how to add one.
    const noKey = await run('UADA', 'create box --image debian-12 --cpu 1 --mem 1');
    expect(noKey).toMatch(/no SSH key/i);
    expect(noKey).toContain('/tispace key add');
    expect(h.provisioner.api.get({ userId: 'UADA' }, 'box').ok).toBe(false);

    adaKey = freshSshKey('ada@laptop');
    expect(await run('UADA', `key add ${adaKey.publicKey}`)).toMatch(/added/i);
    expect(await run('UADA', 'create box --image debian-12 --cpu 1 --mem 1')).toContain('Creating *box*');

    adaCommand = await commandFromDm('UADA', 'box');
    const box = instance('UADA', 'box');
    expect(adaCommand).toBe(`ssh -J ${box.sshJump} debian@${box.id}-ssh.${ns.name}`);
    const first = await login(
      adaCommand,
      adaKey,
      'findmnt -no SOURCE,FSTYPE /; systemctl is-system-running; id -un',
    );
    const pvc = (await rootPvc(box.id))!;
    const [source, systemState, user] = first.stdout.trim().split('\n');
    // The root file system is the PVC's btrfs subvolume (cloned from the golden snapshot), not the image.
    expect(source).toMatch(new RegExp(`\\[/vols/${pvc.spec?.volumeName}\\] btrfs$`));
    expect(systemState).toMatch(/^(running|degraded|starting)$/);
    expect(user).toBe('debian');
    const wrote = await ssh(
      adaCommand,
      adaKey,
      'echo kept > ~/note && echo tool | sudo -n tee /usr/local/bin/mytool >/dev/null',
    );
    expect(wrote.code, wrote.stderr).toBe(0);

    // `/tispace ssh box` prints the same command. With ~/.ssh/config written from `/tispace ssh-config`
    // (the file the reply says to save) and its optional known_hosts lines, the printed command logs in,
    // and so does `ssh box.tispace` alone. Only the gateway's own key comes from elsewhere (first-use trust).
    const sshReply = await run('UADA', 'ssh box');
    expect(/ssh -J \S+ [a-z_][a-z0-9_-]*@[a-z0-9-]+-ssh\.[a-z0-9-]+/.exec(sshReply)?.[0]).toBe(adaCommand);
    const configReply = await run('UADA', 'ssh-config');
    expect(configReply).toBe('~/.ssh/config for your machines: box');
    const fromSlack = savedFromSlack('UADA');
    expect(fromSlack.config).toContain('Host box.tispace');
    const trust = {
      config: fromSlack.config,
      knownHosts: [door.gateway.knownHostsLine, ...fromSlack.knownHosts],
    };
    const viaPrinted = await runPrintedJump(adaCommand, adaKey, 'id -un', trust);
    expect(viaPrinted.code, viaPrinted.stderr).toBe(0);
    expect(viaPrinted.stdout).toBe('debian\n');
    const viaAlias = await runSsh(adaKey, ['box.tispace', 'cat ~/note'], trust);
    expect(viaAlias.code, viaAlias.stderr).toBe(0);
    expect(viaAlias.stdout).toBe('kept\n');

    // /tispace stop: the Pod goes, the files stay on the volume.
    expect(await run('UADA', 'stop box')).toContain('Stopping *box*');
    await waitFor(
      async () =>
        instance('UADA', 'box').phase === 'stopped' && (await podsOf(box.id)).length === 0 ? true : undefined,
      { timeoutMs: 180_000, what: 'box stopped and its Pod gone' },
    );
    const dir = await pvcDirectory(ns.name, pvc.metadata!.name!);
    expect(readFileSync(path.join(dir, 'home', 'debian', 'note'), 'utf8')).toBe('kept\n');

    // /tispace start: the same PVC, the files are there.
    expect(await run('UADA', 'start box')).toContain('Starting *box*');
    const again = await login(await commandFromDm('UADA', 'box'), adaKey, 'cat ~/note /usr/local/bin/mytool');
    expect(again.stdout).toBe('kept\ntool\n');
    expect((await rootPvc(box.id))?.metadata?.uid).toBe(pvc.metadata?.uid);
  });

  it('delete (confirmed) snapshots the disk before the PVC goes; restore brings the files back', {
    timeout: 900_000,
  }, async () => {
    const box = instance('UADA', 'box');
    const pvc = (await rootPvc(box.id))!;
    expect(await run('UADA', 'delete box')).toMatch(/delete/i);
    const confirmed = await h.click('UADA', ACTIONS.deleteConfirm, box.id);
    expect(confirmed.status).toBe(200);

    // Watch the disk go: at the first moment the PVC is deleting or gone, the snapshot is already ready.
    const snapshotAtDiskLoss = await waitFor(
      async () => {
        const current = await rootPvc(box.id);
        if (current && !current.metadata?.deletionTimestamp) return undefined;
        const snaps = (await custom().listNamespacedCustomObject({
          group: 'snapshot.storage.k8s.io',
          version: 'v1',
          namespace: ns.name,
          plural: 'volumesnapshots',
          labelSelector: `tispace.io/instance=${box.id}`,
        })) as {
          items: {
            metadata: { name: string };
            spec: { source: { persistentVolumeClaimName?: string } };
            status?: { readyToUse?: boolean };
          }[];
        };
        return { snaps: snaps.items, pvcGone: !current };
      },
      { timeoutMs: 300_000, what: 'the disk deleted', intervalMs: 100 },
    );
    const finals = snapshotAtDiskLoss.snaps.filter(
      (s) => s.spec.source.persistentVolumeClaimName === pvc.metadata?.name,
    );
    expect(finals).toHaveLength(1);
    expect(finals[0]!.status?.readyToUse).toBe(true);
    // A deleted machine is no longer the user's to act on (only to restore by name): read the store.
    const deleted = await waitFor(
      async () => {
        const row = h.provisioner.store.instances.get(box.id);
        return row?.phase === 'deleted' ? row : undefined;
      },
      { timeoutMs: 120_000, what: 'box deleted' },
    );
    expect(deleted.snapshotName).toBe(finals[0]!.metadata.name);

    expect(await run('UADA', 'restore box')).toContain('Restoring *box*');
    const restored = await login(
      await commandFromDm('UADA', 'box'),
      adaKey,
      'cat ~/note /usr/local/bin/mytool',
    );
    expect(restored.stdout).toBe('kept\ntool\n');
    expect((await rootPvc(box.id))?.metadata?.uid).not.toBe(pvc.metadata?.uid);
    adaCommand = await commandFromDm('UADA', 'box');
  });

  it("Bob's key does not open Ada's machine, and his machine has host keys of its own", {
    timeout: 900_000,
  }, async () => {
    expect((await h.signInWithGoogle('UBOB', 'bob@example.com')).status).toBe(200);
    const bobKey = freshSshKey('bob@laptop');
    expect(await run('UBOB', `key add ${bobKey.publicKey}`)).toMatch(/added/i);

    // Bob's key gets through the gateway's door (he is a linked user) but no channel to Ada's machine.
    const refused = await ssh(adaCommand, bobKey, 'true');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('administratively prohibited');
    const adaHostKey = hostKey(adaCommand);

    // The node has two CPUs: Ada's machine stops before Bob's starts.
    await run('UADA', 'stop box');
    const adaId = instance('UADA', 'box').id;
    await waitFor(async () => ((await podsOf(adaId)).length === 0 ? true : undefined), {
      timeoutMs: 180_000,
      what: "Ada's Pod gone",
    });
    expect(await run('UBOB', 'create bobs --image debian-12 --cpu 1 --mem 1')).toContain('Creating *bobs*');
    const bobCommand = await commandFromDm('UBOB', 'bobs');
    expect((await login(bobCommand, bobKey, 'id -un')).stdout).toBe('debian\n');
    expect((await ssh(bobCommand, adaKey, 'true')).code).toBe(255);
    expect(hostKey(bobCommand)).not.toBe(adaHostKey);
  });
});
