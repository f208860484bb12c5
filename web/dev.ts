// `npm run dev`: the local control plane up (built from Go modules on first use), the golden image seeded,
// then TiSpace with the web UI on http://127.0.0.1:3000 — no .env needed. As root (unless
// TISPACE_REAL_NODE=0) the cluster gets its real worker node and machines boot there from the debian-12
// image, reachable with the printed ssh command; otherwise they run on simulated (KWOK) nodes. Without Google settings it
// prints a one-time sign-in link for a local admin; with SLACK_BOT_TOKEN + SLACK_APP_TOKEN Slack works too
// (Socket Mode). Settings in .env or the environment override the defaults below.
//
// With the real node, every login goes through TiSpace's SSH gateway as in production: dev runs the local
// one (test/cluster/gateway.ts: the shipped images/gateway/ sshd, root only) on the address the config's
// `gateway` section names (web/dev/real-node.yaml: 127.0.0.1:2222), with TISPACE_GATEWAY_TOKEN (a random
// one unless set), so the printed `ssh -J tispace@127.0.0.1:2222 …` logs in.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { main } from '../bot/main.ts';
import { buildImageTree, exportOciImage } from '../images/builder.ts';
import { loadConfig } from '../provisioner/api.ts';
import { up } from '../test/cluster/control-plane.ts';
import { type LocalGateway, startLocalGateway } from '../test/cluster/gateway.ts';
import { seedGolden } from '../test/cluster/golden.ts';
import { publishTreeAsGolden } from '../test/cluster/node/golden.ts';
import { importImage } from '../test/cluster/node/oci-image.ts';
import { repoRoot, statePaths } from '../test/cluster/paths.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
const realNode = process.getuid?.() === 0 && process.env.TISPACE_REAL_NODE !== '0';
const defaults: Record<string, string> = {
  TISPACE_CONFIG: path.join(repoRoot, realNode ? 'web/dev/real-node.yaml' : 'web/dev/config.yaml'),
  TISPACE_DB_PATH: path.join(repoRoot, '.cache/dev/tispace.db'),
  HOST: '127.0.0.1',
  PORT: '3000',
  LOG_LEVEL: 'info',
};
for (const [k, v] of Object.entries(defaults)) if (!process.env[k]?.trim()) process.env[k] = v;
// The gateway's token: set before main() so it serves the gateway's routes (never required in dev mode).
if (realNode && !process.env.TISPACE_GATEWAY_TOKEN?.trim())
  process.env.TISPACE_GATEWAY_TOKEN = randomBytes(32).toString('hex');

process.stderr.write('[dev] starting the local control plane (the first run builds it: about 10 minutes)\n');
const cluster = await up(undefined, { realNode });
// Started for dev: no test run that happens to lease it may stop it when it ends (as `npm run cluster -- up`).
rmSync(statePaths.stopWhenIdle, { force: true });
process.env.KUBECONFIG = process.env.KUBECONFIG?.trim() || cluster.kubeconfig;

const config = loadConfig(process.env.TISPACE_CONFIG, {
  namespace: process.env.TISPACE_NAMESPACE || 'tispace',
});
if (!config.ok) throw new Error(config.error.message);
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
for (const image of config.value.images) {
  process.stderr.write(`[dev] seeding the golden image ${image.snapshot}\n`);
  if (realNode && image.name === 'debian-12') {
    // The machine's tree and image, built locally (the first build takes about 5–7 minutes).
    const { tree } = await buildImageTree(image.name, { log: (l) => process.stderr.write(`${l}\n`) });
    const oci = await exportOciImage(image.name, { log: (l) => process.stderr.write(`${l}\n`) });
    await importImage(oci.layout, oci.tag, oci.reference);
    await publishTreeAsGolden(kc, { namespace: config.value.namespace, name: image.snapshot, tree });
  } else {
    await seedGolden(kc, {
      namespace: config.value.namespace,
      name: image.snapshot,
      storageClass: image.storageClass,
      snapshotClass: 'csi-rbdplugin-snapclass',
    });
  }
}
await main({ dev: true });
if (realNode) await startDevGateway(config.value.gateway);

/** Whether `port` on 127.0.0.1 can be listened on right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The local SSH gateway where the config says users reach it (loopback only), stopped when dev exits. */
async function startDevGateway(at: { host: string; port: number }): Promise<void> {
  if (!['127.0.0.1', 'localhost'].includes(at.host)) {
    process.stderr.write(
      `[dev] no local SSH gateway: the config's gateway is ${at.host}:${at.port}, not 127.0.0.1 (web/dev/real-node.yaml names 127.0.0.1:2222)\n`,
    );
    return;
  }
  if (!(await portFree(at.port))) {
    process.stderr.write(
      `[dev] no local SSH gateway: 127.0.0.1:${at.port} is in use (set gateway.port in ${process.env.TISPACE_CONFIG})\n`,
    );
    return;
  }
  const listen = process.env.HOST!;
  const tispaceHost = ['0.0.0.0', '::', ''].includes(listen) ? '127.0.0.1' : listen;
  let gateway: LocalGateway;
  try {
    gateway = await startLocalGateway({
      kubeConfig: kc,
      tispaceUrl: `http://${tispaceHost.includes(':') ? `[${tispaceHost}]` : tispaceHost}:${process.env.PORT}`,
      token: process.env.TISPACE_GATEWAY_TOKEN!,
      port: at.port,
      id: 'dev-gateway',
      // The same host key every run: users trust [127.0.0.1]:<port> once.
      hostKeyFile: path.join(repoRoot, '.cache/dev/gateway_host_key'),
    });
  } catch (error) {
    process.stderr.write(`[dev] the SSH gateway did not start: ${(error as Error).message}\n`);
    return;
  }
  process.stderr.write(
    `[dev] SSH gateway on 127.0.0.1:${gateway.port} (host key ${gateway.hostKey}; log ${gateway.logFile})\n`,
  );
  // The gateway is its own process group (the namespace ends with its last process). On a signal, end it
  // at once and synchronously: main() exits the process when TiSpace has stopped, and a repeated signal
  // (tsx relays the terminal's Ctrl-C) may end the process before any asynchronous stop would finish.
  const end = (signal: NodeJS.Signals) => {
    try {
      process.kill(-gateway.pid, signal);
    } catch {
      // already gone
    }
    rmSync(path.dirname(gateway.logFile), { recursive: true, force: true });
  };
  process.once('SIGINT', () => end('SIGTERM'));
  process.once('SIGTERM', () => end('SIGTERM'));
  process.once('exit', () => end('SIGKILL'));
}
