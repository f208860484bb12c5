import { createHash } from 'node:crypto';
import path from 'node:path';
import { repoRoot, stateDir } from '../paths.ts';
import { kataNodeLabels } from '../seed.ts';

/** The real worker node's name; its client certificate is `system:node:<name>` (see ../pki.ts). */
export const nodeName = 'tispace-node';

/** Label and taint that keep everything but the tests' TiSpace instance Pods off the real node. */
export const realNodeLabel = { key: 'tispace.io/pool', value: 'real' } as const;
export const realNodeTaint = { key: 'tispace.io/real-node', value: 'true', effect: 'NoSchedule' } as const;

/**
 * Every label of the real node (kubelet --node-labels, and set again on a Node object registered by an
 * older checkout): the pool, and what Kata and the patched-cri-o install put on a production node.
 */
export const realNodeLabels: Record<string, string> = {
  [realNodeLabel.key]: realNodeLabel.value,
  ...kataNodeLabels,
  type: 'real',
};

/** Instance Pods of the tests that target the real node carry these (provisioner config `devPool`). */
export const realNodePool = {
  nodeSelector: { [realNodeLabel.key]: realNodeLabel.value },
  tolerations: [
    { key: realNodeTaint.key, operator: 'Equal', value: realNodeTaint.value, effect: 'NoSchedule' },
  ],
  // Nothing but instances runs on the (tainted) real node: nothing to reserve for other Pods.
  reservedPerNode: { cpu: 0, memoryGiB: 0 },
};

/**
 * A short id of this checkout: names what the node creates in host-wide namespaces (cgroup root, bridge)
 * so two checkouts never touch each other's.
 */
export const checkoutId = createHash('sha256').update(repoRoot).digest('hex').slice(0, 6);

const nodeDir = path.join(stateDir, 'node');

/** Everything of the node lives below .cache/cluster/node/ (unix sockets stay short: < 108 bytes). */
export const nodePaths = {
  dir: nodeDir,
  crioConfig: path.join(nodeDir, 'crio.conf'),
  crioConfigDir: path.join(nodeDir, 'crio.conf.d'),
  crioSocket: path.join(nodeDir, 'crio.sock'),
  policy: path.join(nodeDir, 'policy.json'),
  storageRoot: path.join(nodeDir, 'storage'),
  storageRunRoot: path.join(nodeDir, 'run', 'storage'),
  runRoot: path.join(nodeDir, 'run'),
  runcRoot: path.join(nodeDir, 'run', 'runc'),
  cniConfigDir: path.join(nodeDir, 'cni'),
  cniState: path.join(nodeDir, 'run', 'cni'),
  kubeletDir: path.join(nodeDir, 'kubelet'),
  kubeletConfig: path.join(nodeDir, 'kubelet.yaml'),
  kubeProxyConfig: path.join(nodeDir, 'kube-proxy.yaml'),
  podLogs: path.join(nodeDir, 'pod-logs'),
  kubeconfig: path.join(nodeDir, 'kubeconfig'),
  kubeProxyKubeconfig: path.join(nodeDir, 'kube-proxy.kubeconfig'),
} as const;

/** The cgroup (in every v1 hierarchy) under which the kubelet puts its Pods. */
export const cgroupRoot = `/tispace-${checkoutId}`;

/** Pod network of the node's bridge: 10.88.<n>.0/24 with <n> from the checkout id. */
export function podSubnet(): { subnet: string; gateway: string } {
  const n = (Number.parseInt(checkoutId.slice(0, 2), 16) % 200) + 20;
  return { subnet: `10.88.${n}.0/24`, gateway: `10.88.${n}.1` };
}

export const bridgeName = `tsp${checkoutId}`;

/** containers-storage reference of the node's image store (skopeo copies images into it). */
export function containersStorageRef(reference: string): string {
  return `containers-storage:[overlay@${nodePaths.storageRoot}+${nodePaths.storageRunRoot}]${reference}`;
}
