// TiSpace's SSH gateway as it ships, in Pods on the real node: the image built from images/gateway/ (the
// same provision.sh as the Containerfile; images/gateway-builder.ts), imported into the node's container
// storage, and the Deployment, ConfigMap and Service of manifests/base/gateway.yaml applied as they are,
// with only what the local cluster needs changed, each as an overlay would:
//
// - the image: the local build's reference (an overlay's `images:` entry);
// - the namespace, the ConfigMap's url (TiSpace's test server on the node's bridge address) and a Secret
//   with a fresh host key and the token (the example overlay's gateway-secret.yaml);
// - placement on the real node (its label and taint), which runs nothing else;
// - hostAliases for the Services the test names: they stand in for cluster DNS, which the local control
//   plane does not run (the Pods' /etc/hosts is fixed when they start, so deploy after the machines exist);
// - the session reporter's interval (TISPACE_REPORT_INTERVAL, 30 s in the image), so a test waits seconds.
//
// Everything else, the securityContext above all (capabilities, read-only root, uids, seccomp), runs as
// written. The Service is the manifest's LoadBalancer; the host reaches its ClusterIP through kube-proxy.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
  type V1HostAlias,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { buildGatewayImage } from '../../images/gateway-builder.ts';
import { gatewayHostKey } from './gateway.ts';
import { realNodePool } from './node/layout.ts';
import { importImage } from './node/oci-image.ts';
import { repoRoot } from './paths.ts';

export const GATEWAY_MANIFEST = path.join(repoRoot, 'manifests', 'base', 'gateway.yaml');
const NAME = 'tispace-gateway';
const SELECTOR = 'app.kubernetes.io/name=tispace-gateway';

interface ShippedObjects {
  deployment: V1Deployment;
  configMap: V1ConfigMap;
  service: V1Service;
}

/** The three objects of manifests/base/gateway.yaml, as written. */
export function shippedGatewayObjects(): ShippedObjects {
  const docs = parseAllDocuments(readFileSync(GATEWAY_MANIFEST, 'utf8')).map((d) => d.toJS());
  const find = <T>(kind: string) => {
    const doc = docs.find((d) => d?.kind === kind && d?.metadata?.name === NAME);
    if (!doc) throw new Error(`${GATEWAY_MANIFEST} has no ${kind} ${NAME}`);
    return doc as T;
  };
  return {
    deployment: find<V1Deployment>('Deployment'),
    configMap: find<V1ConfigMap>('ConfigMap'),
    service: find<V1Service>('Service'),
  };
}

/** Creates the manifest's Service in `namespace` (first: TiSpace's config names its address). */
export async function createGatewayService(
  kc: KubeConfig,
  namespace: string,
): Promise<{ clusterIP: string }> {
  const { service } = shippedGatewayObjects();
  const created = await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: { ...service, metadata: { ...service.metadata, namespace } },
  });
  const clusterIP = created.spec?.clusterIP;
  if (!clusterIP) throw new Error(`the gateway Service got no ClusterIP: ${JSON.stringify(created.spec)}`);
  return { clusterIP };
}

export interface GatewayPodsOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** TiSpace's base URL as the Pods reach it (the ConfigMap's url). */
  tispaceUrl: string;
  token: string;
  /** Names the Pods must resolve (the cluster DNS stand-in). */
  hostAliases: V1HostAlias[];
  reportIntervalSeconds?: number;
  log?: (line: string) => void;
}

export interface GatewayPods {
  /** The Secret's host key (`ssh-ed25519 AAAA…`): what every replica must present. */
  hostKey: string;
  pods: { name: string; ip: string; uid: string }[];
  replicas: number;
}

/** Builds (cached) and imports the image, applies ConfigMap, Secret and Deployment; waits for every replica. */
export async function deployGatewayPods(o: GatewayPodsOptions): Promise<GatewayPods> {
  const log = o.log ?? (() => {});
  const image = await buildGatewayImage({ log });
  await importImage(image.layout, image.tag, image.reference);
  const { deployment, configMap } = shippedGatewayObjects();
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const apps = o.kubeConfig.makeApiClient(AppsV1Api);
  const namespace = o.namespace;

  const keyDir = mkdtempSync(path.join(tmpdir(), 'tispace-gateway-key-'));
  let hostKey: string;
  let privateKey: string;
  try {
    ({ publicKey: hostKey, privateKey } = gatewayHostKey(path.join(keyDir, 'key')));
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: NAME, namespace },
      type: 'Opaque',
      stringData: { ssh_host_ed25519_key: privateKey, token: o.token },
    },
  });
  await core.createNamespacedConfigMap({
    namespace,
    body: { ...configMap, metadata: { ...configMap.metadata, namespace }, data: { url: o.tispaceUrl } },
  });

  const spec = deployment.spec!.template.spec!;
  const containers = spec.containers.map((c) => ({
    ...c,
    image: image.reference,
    env:
      c.name === 'session-report'
        ? [
            ...(c.env ?? []),
            { name: 'TISPACE_REPORT_INTERVAL', value: String(o.reportIntervalSeconds ?? 30) },
          ]
        : c.env,
  }));
  const body: V1Deployment = {
    ...deployment,
    metadata: { ...deployment.metadata, namespace },
    spec: {
      ...deployment.spec!,
      template: {
        ...deployment.spec!.template,
        spec: {
          ...spec,
          containers,
          nodeSelector: realNodePool.nodeSelector,
          tolerations: realNodePool.tolerations,
          hostAliases: o.hostAliases,
        },
      },
    },
  };
  await apps.createNamespacedDeployment({ namespace, body });
  const replicas = deployment.spec!.replicas ?? 1;
  log(`[gateway-pod] ${replicas} replicas of ${image.reference} in ${namespace}`);

  const deadline = Date.now() + 180_000;
  for (;;) {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: SELECTOR })).items;
    const ready = pods.filter(
      (p) =>
        p.status?.phase === 'Running' &&
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (ready.length === replicas) {
      return {
        hostKey,
        replicas,
        pods: ready.map((p) => ({ name: p.metadata!.name!, ip: p.status!.podIP!, uid: p.metadata!.uid! })),
      };
    }
    if (Date.now() > deadline)
      throw new Error(`the gateway Pods are not ready:\n${await describe(core, pods)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Each Pod's state and its containers' last log lines, for a failure message. */
async function describe(core: CoreV1Api, pods: V1Pod[]): Promise<string> {
  const lines: string[] = [];
  for (const p of pods) {
    lines.push(
      `${p.metadata?.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses ?? [])}`,
    );
    for (const c of p.spec?.containers ?? []) {
      const logText = await core
        .readNamespacedPodLog({
          name: p.metadata!.name!,
          namespace: p.metadata!.namespace!,
          container: c.name,
          tailLines: 20,
        })
        .catch((e: Error) => `(no log: ${e.message})`);
      lines.push(`  ${c.name}: ${String(logText).trim()}`);
    }
  }
  return lines.join('\n') || '(no Pods)';
}
