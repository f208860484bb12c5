// Every overlay wires the SSH gateway consistently (issue 15): the gateway Pods, their Service, the
// NetworkPolicies that let only them (and TiSpace, for host keys) reach the machines' port 22, the token
// both sides read from one Secret key, the URL the gateway calls, and the address users are told — one
// renamed label, port or key here and nobody can log in, or the instances are open to more than the gateway.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  V1ConfigMap,
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1Service,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../provisioner/config/load.ts';
import { buildPod, buildService } from '../../../provisioner/kube/builders.ts';
import { GATEWAY_KEYS_PATH } from '../../../web/routes/gateway.ts';
import { instanceRow } from '../../support/instances.ts';
import { overlayNames, type RenderedObject, renderOverlays } from '../../tools/kustomize/kustomize.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const overlays = overlayNames;
type Obj = RenderedObject;
let rendered = new Map<string, Obj[]>();

beforeAll(async () => {
  rendered = await renderOverlays();
}, 20 * 60_000); // the first run builds kustomize from the Go module proxy

// As the YAML reads (client-node's type names the field `_from`).
type Rule = {
  from?: V1NetworkPolicyPeer[];
  to?: V1NetworkPolicyPeer[];
  ports?: { port?: number | string }[];
};
const ingressOf = (p: V1NetworkPolicy) => (p.spec?.ingress ?? []) as Rule[];

const selects = (peer: V1NetworkPolicyPeer, labels: Record<string, string>): boolean =>
  !peer.ipBlock &&
  !peer.namespaceSelector &&
  Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (peer.podSelector?.matchExpressions ?? []).every((e) =>
    e.operator === 'Exists'
      ? e.key in labels
      : e.operator === 'In' && e.values?.includes(labels[e.key] ?? ''),
  );

describe.each(overlays)('overlay %s', (overlay) => {
  const objects = () => rendered.get(overlay) ?? [];
  const named = <T>(kind: string, name: string): T => {
    const found = objects().filter((o) => o.kind === kind && o.metadata?.name === name);
    expect(found, `${kind} ${name}`).toHaveLength(1);
    return found[0] as T;
  };
  const config = () => {
    const cm = objects().find(
      (o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('tispace-config'),
    );
    const parsed = parseConfig(parse((cm as V1ConfigMap).data?.['config.yaml'] ?? ''));
    if (!parsed.ok) throw new Error(parsed.error.message);
    return parsed.value;
  };
  const gateway = () => named<V1Deployment>('Deployment', 'tispace-gateway');
  const gatewayLabels = () => gateway().spec?.template.metadata?.labels ?? {};
  const tispaceLabels = () =>
    named<V1Deployment>('Deployment', 'tispace').spec?.template.metadata?.labels ?? {};
  const instance = () => instanceRow({ name: 'box' });
  const instanceLabels = () => buildPod(config(), instance(), config().images[0]!).metadata?.labels ?? {};
  const policy = (name: string) => named<V1NetworkPolicy>('NetworkPolicy', name);

  it('publishes the gateway, and only the gateway: no NodePort anywhere, machines get ClusterIP Services', () => {
    const services = objects().filter((o): o is V1Service => o.kind === 'Service') as V1Service[];
    for (const s of services) expect(s.spec?.type, s.metadata?.name).not.toBe('NodePort');
    expect(buildService(config(), instance()).spec?.type).toBe('ClusterIP');

    const svc = named<V1Service>('Service', 'tispace-gateway');
    expect(Object.entries(svc.spec?.selector ?? {}).every(([k, v]) => gatewayLabels()[k] === v)).toBe(true);
    // Users' source addresses survive, so the gateway's policy can admit only company ranges.
    expect(svc.spec?.externalTrafficPolicy).toBe('Local');
    const port = svc.spec?.ports?.find((p) => p.name === 'ssh');
    const sshd = gateway().spec?.template.spec?.containers.find((c) => c.name === 'sshd');
    const containerPort = sshd?.ports?.find((p) => p.name === port?.targetPort)?.containerPort;
    expect(containerPort).toBeDefined();
    // The shipped sshd_config listens where the Pod's port and the Service send connections.
    const sshdConfig = readFileSync(path.join(root, 'images/gateway/sshd_config'), 'utf8');
    expect(sshdConfig).toMatch(new RegExp(`^Port ${containerPort}$`, 'm'));
    const hostKeyPath = /^HostKey (\S+)$/m.exec(sshdConfig)?.[1];
    const mount = sshd?.volumeMounts?.find((m) => m.name === 'host-keys');
    expect(hostKeyPath).toBe(`${mount?.mountPath}/ssh_host_ed25519_key`);
    // What users are told (config.gateway) is the Service's port.
    expect(config().gateway.port).toBe(port?.port);
    expect(config().gateway.user).toBe('tispace');

    const gw = policy('tispace-gateway');
    expect(selects({ podSelector: gw.spec?.podSelector ?? {} }, gatewayLabels())).toBe(true);
    expect(Object.keys(gw.spec?.podSelector?.matchLabels ?? {})).not.toHaveLength(0);
    expect(ingressOf(gw).flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual([containerPort]);
  });

  it("lets only the gateway and TiSpace reach a machine's port 22, and the gateway reach nothing else but DNS and TiSpace", () => {
    const instances = policy('instances');
    const pod = buildPod(config(), instance(), config().images[0]!);
    expect(pod.spec?.containers[0]?.ports?.map((p) => p.containerPort)).toEqual([22]);
    const sshRules = ingressOf(instances);
    expect(sshRules.flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual([22]);
    const peers = sshRules.flatMap((r) => r.from ?? []);
    expect(peers.every((p) => !p.ipBlock && !p.namespaceSelector)).toBe(true);
    expect(peers.some((p) => selects(p, gatewayLabels()))).toBe(true);
    expect(peers.some((p) => selects(p, tispaceLabels()))).toBe(true);
    expect(peers.some((p) => selects(p, instanceLabels()))).toBe(false);

    const gw = policy('tispace-gateway');
    const egress = gw.spec?.egress ?? [];
    const toInstances = egress.filter((r) => (r.to ?? []).some((p) => selects(p, instanceLabels())));
    expect(toInstances.flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual([22]);
    const toTispace = egress.filter((r) => (r.to ?? []).some((p) => selects(p, tispaceLabels())));
    expect(toTispace.flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual([3000]);
    // No ipBlock: not the API server, not the internet.
    expect(egress.flatMap((r) => r.to ?? []).some((p) => p.ipBlock)).toBe(false);

    const tispace = policy('tispace');
    expect(
      ingressOf(tispace).some(
        (r) => (r.from ?? []).some((p) => selects(p, gatewayLabels())) && r.ports?.[0]?.port === 3000,
      ),
    ).toBe(true);
  });

  it('gives TiSpace and the gateway the same token, and the gateway the in-cluster URL of TiSpace', () => {
    const env = named<V1Deployment>('Deployment', 'tispace').spec?.template.spec?.containers[0]?.env ?? [];
    const tokenRef = env.find((e) => e.name === 'TISPACE_GATEWAY_TOKEN')?.valueFrom?.secretKeyRef;
    expect(tokenRef).toBeDefined();
    const conf = gateway().spec?.template.spec?.volumes?.find((v) => v.name === 'gateway-conf');
    const sources = conf?.projected?.sources ?? [];
    const secret = sources.find((s) => s.secret)?.secret;
    expect(secret?.name).toBe(tokenRef?.name);
    expect(secret?.items).toEqual([{ key: tokenRef?.key, path: 'token' }]);
    const urlMap = sources.find((s) => s.configMap)?.configMap;
    const url = new URL(named<V1ConfigMap>('ConfigMap', urlMap?.name ?? '').data?.url ?? '');
    const [svcName, ns] = url.hostname.split('.');
    const tispaceSvc = named<V1Service>('Service', svcName ?? '');
    expect(tispaceSvc.metadata?.namespace).toBe(ns);
    expect(url.port || '80').toBe(String(tispaceSvc.spec?.ports?.[0]?.port));
    expect(new URL(GATEWAY_KEYS_PATH, url).pathname).toBe('/gateway/v1/authorized-keys');
    // The host key comes from the same Secret, so every replica presents one identity.
    const keys = gateway().spec?.template.spec?.volumes?.find((v) => v.name === 'host-keys');
    expect(keys?.secret?.secretName).toBe(tokenRef?.name);
  });
});
