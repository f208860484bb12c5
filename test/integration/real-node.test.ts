// The real worker node of the local cluster (test/cluster/node/): a kubelet built from the control
// plane's module, joined as system:node:<name>, running Pods with cri-o built from source with TiSpace's
// patch; logs and exec go through the API server to that kubelet.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeName, realNodeLabel, realNodeTaint } from '../cluster/node/layout.ts';
import { patchedCrioLabel } from '../cluster/seed.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { busyboxImage, execInPod, onRealNode, realNodeRunning } from './support/real-node.ts';

describe.runIf(realNodeRunning())('real node', () => {
  const ns = useNamespace('real-node');

  it('is Ready, labelled and tainted for the tests only, beside the KWOK nodes', async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const node = await core.readNode({ name: nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.metadata?.labels?.[realNodeLabel.key]).toBe(realNodeLabel.value);
    // As the patched-cri-o install labels a production node; the Kata RuntimeClass requires it.
    expect(node.metadata?.labels?.[patchedCrioLabel.key]).toBe(patchedCrioLabel.value);
    expect(node.spec?.taints).toContainEqual(expect.objectContaining(realNodeTaint));
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^cri-o:\/\/1\.34\./);
    const names = (await core.listNode()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['dev-1', 'dev-2', 'dev-3', nodeName]));
  });

  it('runs a plain Pod: its logs and exec work through the API server', { timeout: 180_000 }, async () => {
    const image = busyboxImage;
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'plain' },
        spec: {
          ...onRealNode,
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image,
              imagePullPolicy: 'Never',
              command: ['/bin/sh', '-c', 'echo hello from the real node; exec sleep 3600'],
            },
          ],
        },
      },
    });
    const pod = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: 'plain', namespace: ns.name });
        return p.status?.phase === 'Running' ? p : undefined;
      },
      { timeoutMs: 120_000, what: 'the plain Pod to run on the real node' },
    );
    expect(pod.spec?.nodeName).toBe(nodeName);
    expect(pod.status?.podIP).toMatch(/^10\.88\./);

    const logs = await waitFor(
      async () => {
        const text = await core.readNamespacedPodLog({ name: 'plain', namespace: ns.name });
        return text.includes('hello') ? text : undefined;
      },
      { timeoutMs: 30_000, what: 'the Pod log' },
    );
    expect(logs).toBe('hello from the real node\n');

    const result = await execInPod(ns.name, 'plain', 'main', ['/bin/sh', '-c', 'echo $((6 * 7)); hostname']);
    expect(result.status.status).toBe('Success');
    expect(result.stdout).toBe('42\nplain\n');
  });

  it('refuses the rootfs annotation outside a Kata handler (the default runc), naming the handler', {
    timeout: 180_000,
  }, async () => {
    // Issue 14, item 9c: with the patch's handler check, cri-o refuses to create this container; without
    // it, the container would get the volume as its root filesystem under runc, on the host's kernel.
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'rootfs-runc', annotations: { 'tispace.io/rootfs-volume': 'root' } },
        spec: {
          ...onRealNode,
          terminationGracePeriodSeconds: 1,
          volumes: [{ name: 'root', emptyDir: {} }],
          containers: [
            {
              name: 'main',
              image: busyboxImage,
              imagePullPolicy: 'Never',
              command: ['/bin/sh', '-c', 'exec sleep 3600'],
              volumeMounts: [{ name: 'root', mountPath: '/tispace/rootfs' }],
            },
          ],
        },
      },
    });
    const waiting = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ name: 'rootfs-runc', namespace: ns.name });
        const w = p.status?.containerStatuses?.[0]?.state?.waiting;
        return w?.reason === 'CreateContainerError' ? w : undefined;
      },
      { timeoutMs: 120_000, what: 'cri-o to refuse the container' },
    );
    expect(waiting.message).toContain(
      'annotation tispace.io/rootfs-volume="root" is honoured only under a Kata runtime handler (kata, kata-qemu,',
    );
    expect(waiting.message).toContain('but the Pod runs under handler ""');
  });
});
