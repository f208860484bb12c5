// Section `first-login` (as root, on the real node): the time from a create request to the owner's first
// successful SSH login on a machine that really boots, broken into the steps a user waits for, and the
// clone step alone at two golden sizes and two disk sizes (copy-on-write: it must not grow with either).
//
// Create = the provisioner API call `/tispace create` makes (the Slack share before it is the `provision`
// section's). Each step is the moment this process first sees it: PVC Bound and Pod scheduled/started from
// watches, sshd accepting = the SSH banner on the machine's ClusterIP, user told = the reconciler handing the
// running phase to the notifier (the DM follows in milliseconds, see `provision`), first login = the real
// `ssh` with the owner's key, run as printed (`ssh -J tispace@<gateway> …`) through TiSpace's SSH gateway
// (the local harness: the shipped images/gateway/ sshd, test/cluster/gateway.ts), exiting 0. So the login
// step includes the gateway: its key check against TiSpace, its name lookup and the second handshake.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  type V1PersistentVolumeClaim,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  type Instance,
  knownHostsLines,
  type Notifier,
  Provisioner,
  parseConfig,
  silentNotifier,
  sshCommand,
} from '../provisioner/api.ts';
import { keyscanHostKeys } from '../provisioner/ssh/host-key-reader.ts';
import { sshBanner } from '../test/cluster/gateway.ts';
import { prepareDebianMachine } from '../test/cluster/node/debian-machine.ts';
import { publishTreeAsGolden } from '../test/cluster/node/golden.ts';
import { localStorageClass } from '../test/cluster/node/local-volumes.ts';
import { type FrontDoor, gatewayConfig, startFrontDoor } from '../test/integration/support/gateway.ts';
import { freshSshKey } from '../test/support/ssh-client.ts';
import { runPrintedJump } from '../test/support/ssh-jump.ts';
import { createNamespace, deleteNamespace, log } from './lib/cluster.ts';
import { benchEmail, benchUser, TEAM } from './lib/config.ts';
import { median, quantile, round, until } from './lib/stats.ts';

export interface FirstLoginOptions {
  kc: KubeConfig;
  quick: boolean;
}

const STEPS = [
  'pvcBound',
  'podScheduled',
  'containerStarted',
  'sshdAccepting',
  'userTold',
  'firstLogin',
] as const;
type Step = (typeof STEPS)[number];

/** First-seen times (ms since the create call) of each step, per instance id. */
class StepClock {
  readonly seen = new Map<string, Partial<Record<Step, number>>>();
  readonly t0 = new Map<string, number>();
  mark(id: string, step: Step): void {
    const start = this.t0.get(id);
    if (start === undefined) return;
    const steps = this.seen.get(id) ?? {};
    if (steps[step] === undefined) steps[step] = performance.now() - start;
    this.seen.set(id, steps);
  }
}

/** Watches `plural` in `namespace`, calling `onObject` for every event; returns a stop function. */
async function watchAll<T>(kc: KubeConfig, url: string, onObject: (o: T) => void): Promise<() => void> {
  const req = await new Watch(kc).watch(
    url,
    {},
    (_type, obj: T) => onObject(obj),
    () => {},
  );
  return () => req.abort();
}

/** A golden tree: the debian-12 machine plus `dataGiB` of incompressible data (for the clone step). */
function treeWithData(base: string, dataGiB: number, dir: string): string {
  const tree = path.join(dir, `golden-${dataGiB}g`);
  spawnSync('cp', ['-a', '--reflink=auto', `${base}/.`, `${tree}/`], { stdio: 'inherit' });
  mkdirSync(path.join(tree, 'var', 'lib', 'bench-data'), { recursive: true });
  for (let i = 0; i < dataGiB * 4; i++) {
    const r = spawnSync(
      'dd',
      [
        'if=/dev/urandom',
        `of=${path.join(tree, 'var', 'lib', 'bench-data', `f${i}`)}`,
        'bs=1M',
        'count=256',
        'status=none',
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('dd failed writing the golden data');
  }
  return tree;
}

export async function firstLoginBench(o: FirstLoginOptions) {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (the real node)' };
  const namespace = `bench-login-${Date.now().toString(36)}`;
  const core = o.kc.makeApiClient(CoreV1Api);
  const creates = o.quick ? 4 : 10;
  await createNamespace(o.kc, namespace);
  const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-bench-login-'));
  const stops: (() => void)[] = [];
  let p: Provisioner | undefined;
  let door: FrontDoor | undefined;
  try {
    log('[first-login] building/importing the debian-12 image (cached after the first run)');
    const { tree, config: machine } = await prepareDebianMachine(o.kc, namespace);

    // ---- create → first login, one machine at a time (the node has 2 CPUs) --------------------------
    const clock = new StepClock();
    const told: Notifier = {
      ...silentNotifier,
      instanceChanged: async (i: Instance, change) => {
        if (change.to === 'running') clock.mark(i.id, 'userTold');
      },
    };
    // The gateway's port first: the config names it, and the printed command jumps through it.
    const { port: gatewayPort, gateway } = await gatewayConfig();
    const parsed = parseConfig({ namespace, admins: [], ...machine, gateway });
    if (!parsed.ok) throw new Error(parsed.error.message);
    p = new Provisioner({
      config: parsed.value,
      kubeConfig: o.kc,
      store: path.join(scratch, 'tispace.db'),
      log: pino({ level: 'silent' }),
      // A real sshd on the real node: its host keys are read with ssh-keyscan through kube-proxy.
      hostKeys: keyscanHostKeys,
    });
    p.setNotifier(told);
    await p.start();
    door = await startFrontDoor(p, { kubeConfig: o.kc, port: gatewayPort });
    const gatewayKnownHost = door.gateway.knownHostsLine;
    const idOf = (labels: Record<string, string> | undefined) => labels?.['tispace.io/instance'];
    stops.push(
      await watchAll<V1PersistentVolumeClaim>(
        o.kc,
        `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
        (pvc) => {
          const id = idOf(pvc.metadata?.labels);
          if (id && pvc.status?.phase === 'Bound') clock.mark(id, 'pvcBound');
        },
      ),
      await watchAll<V1Pod>(o.kc, `/api/v1/namespaces/${namespace}/pods`, (pod) => {
        const id = idOf(pod.metadata?.labels);
        if (!id) return;
        if (pod.spec?.nodeName) clock.mark(id, 'podScheduled');
        if (pod.status?.containerStatuses?.some((c) => c.state?.running)) clock.mark(id, 'containerStarted');
      }),
    );
    const key = freshSshKey('bench@first-login');
    const rows: Partial<Record<Step, number>>[] = [];
    for (let i = 0; i < creates; i++) {
      // One user per machine keeps quota out of the way; each has the same key.
      const actor = { userId: benchUser(i), teamId: TEAM };
      p.api.linkIdentity(actor, { googleSub: `login-${i}`, email: benchEmail(i) });
      const added = p.api.addKey(actor, key.publicKey);
      if (!added.ok) throw new Error(added.error.message);
      const t0 = performance.now();
      const created = await p.api.create(actor, { name: `m${i}`, cpu: 1, memoryGiB: 1, image: 'debian-12' });
      if (!created.ok) throw new Error(created.error.message);
      const id = created.value.id;
      clock.t0.set(id, t0);
      const printed = await until(
        async () => {
          const got = p!.api.get(actor, id);
          const command = got.ok ? sshCommand(got.value) : null;
          if (!command || !got.ok) return undefined;
          // The stable name resolves only inside the cluster; the host reaches the ClusterIP (kube-proxy).
          const svc = await core
            .readNamespacedService({ name: `${id}-ssh`, namespace })
            .catch(() => undefined);
          const clusterIP = svc?.spec?.clusterIP;
          if (clusterIP && (await sshBanner(clusterIP, 22))) {
            clock.mark(id, 'sshdAccepting');
            return command;
          }
          return undefined;
        },
        `${id}: sshd answering`,
        300_000,
        20,
      );
      // The printed command as it is, through the gateway, retried until it logs in (the gateway resolves
      // the machine's name once its Service is in the gateway's /etc/hosts). Trusted: the gateway's key and
      // whatever host keys TiSpace has read by then; a machine key not read yet is accepted (accept-new),
      // as a user confirming the fingerprint would — the wait for keyscan is not the user's.
      await until(
        async () => {
          const got = p!.api.get(actor, id);
          const knownHosts = [gatewayKnownHost, ...(got.ok ? knownHostsLines(got.value) : [])];
          const r = await runPrintedJump(printed, key, 'true', { knownHosts, strict: false });
          if (r.code !== 0) return undefined;
          clock.mark(id, 'firstLogin');
          return true;
        },
        `${id}: the first login through the gateway`,
        120_000,
        20,
      );
      rows.push(clock.seen.get(id) ?? {});
      log(`[first-login] ${i + 1}/${creates}: ${JSON.stringify(clock.seen.get(id))}`);
      // Free the CPU for the next one (the deletion's snapshot and PVC removal go on meanwhile).
      const deleted = p.api.delete(actor, id);
      if (!deleted.ok) throw new Error(deleted.error.message);
      await until(
        async () =>
          (await core.listNamespacedPod({ namespace, labelSelector: `tispace.io/instance=${id}` })).items
            .length
            ? undefined
            : true,
        `${id}: its Pod gone`,
        180_000,
        200,
      );
    }
    const steps = Object.fromEntries(
      STEPS.map((s) => {
        const v = rows.map((r) => r[s]).filter((x): x is number => x !== undefined);
        return [
          s,
          {
            n: v.length,
            median: round(median(v)),
            p95: round(quantile(v, 0.95)),
            max: round(Math.max(...v)),
          },
        ];
      }),
    );

    // ---- the clone step alone: golden data size × disk size ------------------------------------
    const sizes = o.quick ? [0.25, 2] : [1, 8];
    const disks = [30, 500];
    const repeats = o.quick ? 3 : 5;
    const clone: Record<string, number> = {};
    for (const dataGiB of sizes) {
      log(`[first-login] golden tree with ${dataGiB} GiB of data`);
      const golden = `golden-${String(dataGiB).replace('.', '-')}g`;
      await publishTreeAsGolden(o.kc, {
        namespace,
        name: golden,
        tree: treeWithData(tree, dataGiB, scratch),
      });
      for (const disk of disks) {
        const times: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const name = `clone-${golden}-${disk}-${r}`;
          const t0 = performance.now();
          await core.createNamespacedPersistentVolumeClaim({
            namespace,
            body: {
              metadata: { name },
              spec: {
                storageClassName: localStorageClass,
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: `${disk}Gi` } },
                dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: golden },
              },
            },
          });
          await until(
            async () =>
              (await core.readNamespacedPersistentVolumeClaim({ name, namespace })).status?.phase === 'Bound'
                ? true
                : undefined,
            `${name} Bound`,
            120_000,
            10,
          );
          times.push(performance.now() - t0);
          await core.deleteNamespacedPersistentVolumeClaim({ name, namespace });
        }
        clone[`${dataGiB}GiB-data/${disk}GiB-disk`] = round(median(times));
      }
    }
    const [small, large] = sizes.map((s) => `${s}GiB-data`);
    return {
      creates,
      stepsMs: steps,
      cloneMedianMs: clone,
      cloneRatio: {
        dataLargeOverSmall: round(clone[`${large}/30GiB-disk`]! / clone[`${small}/30GiB-disk`]!, 2),
        disk500Over30: round(clone[`${small}/500GiB-disk`]! / clone[`${small}/30GiB-disk`]!, 2),
      },
      note: 'runc in place of Kata, btrfs snapshots in place of RBD clones (test/cluster/README.md)',
    };
  } finally {
    for (const stop of stops) stop();
    await door?.close().catch((e: unknown) => log(`[first-login] gateway cleanup: ${String(e)}`));
    await p?.stop();
    p?.store.close?.();
    await deleteNamespace(o.kc, namespace).catch((e: unknown) => log(`[first-login] cleanup: ${String(e)}`));
    rmSync(scratch, { recursive: true, force: true });
  }
}
