// `npm run dev`: the local control plane up (built from Go modules on first use), the golden image seeded,
// then TiSpace with the web UI on http://127.0.0.1:3000 — no .env needed. As root (unless
// TISPACE_REAL_NODE=0) the cluster gets its real worker node and machines boot there from the debian-12
// image, reachable with the printed ssh command; otherwise they run on simulated (KWOK) nodes. Without Google settings it
// prints a one-time sign-in link for a local admin; with SLACK_BOT_TOKEN + SLACK_APP_TOKEN Slack works too
// (Socket Mode). Settings in .env or the environment override the defaults below.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { main } from '../bot/main.ts';
import { buildImageTree, exportOciImage } from '../images/builder.ts';
import { loadConfig } from '../provisioner/api.ts';
import { up } from '../test/cluster/control-plane.ts';
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
