import { describe, expect, it } from 'vitest';
import { buildPod, buildPvc, buildSecret, buildService } from '../../../../provisioner/kube/builders.ts';
import { config, image, instance } from '../fixtures.ts';

describe('object builders', () => {
  it('builds a Guaranteed-QoS Kata Pod on the root disk, with no service-account token', () => {
    const pod = buildPod(config, instance, image);
    const c = pod.spec!.containers[0]!;
    expect(pod.metadata!.name).toBe('web1-k3f9x');
    expect(pod.spec!.runtimeClassName).toBe('kata');
    expect(pod.spec!.hostname).toBe('web1-k3f9x');
    expect(pod.spec!.automountServiceAccountToken).toBe(false);
    expect(c.resources!.requests).toEqual({ cpu: '4', memory: '16Gi' });
    expect(c.resources!.limits).toEqual(c.resources!.requests);
    expect(pod.spec!.nodeSelector).toEqual({ 'tispace.io/pool': 'dev' });
    expect(pod.metadata!.annotations!['tispace.io/rootfs-volume']).toBe('root');
    expect(c.volumeMounts).toContainEqual({ name: 'root', mountPath: '/tispace/rootfs' });
    expect(pod.spec!.volumes).toContainEqual({
      name: 'root',
      persistentVolumeClaim: { claimName: 'web1-k3f9x-root' },
    });
  });

  it('labels and annotates every object so the store can be rebuilt from the cluster', () => {
    for (const o of [
      buildPod(config, instance, image),
      buildPvc(config, instance, image, 'golden-ubuntu-22-04'),
      buildSecret(config, instance, []),
      buildService(config, instance),
    ]) {
      expect(o.metadata!.labels).toEqual({
        'app.kubernetes.io/managed-by': 'tispace',
        'tispace.io/instance': 'web1-k3f9x',
        'tispace.io/owner': 'U123',
      });
      expect(o.metadata!.namespace).toBe('tispace');
      expect(JSON.parse(o.metadata!.annotations!['tispace.io/spec']!)).toEqual({
        cpu: 4,
        memoryGiB: 16,
        diskGiB: 100,
        loginUser: 'ubuntu',
      });
      expect(o.metadata!.annotations!['tispace.io/owner-email']).toBe('ana@corp.com');
    }
  });

  it('clones the disk from the given snapshot with the image storage class', () => {
    const pvc = buildPvc(config, instance, image, 'golden-ubuntu-22-04');
    expect(pvc.metadata!.name).toBe('web1-k3f9x-root');
    expect(pvc.spec).toMatchObject({
      storageClassName: 'rook-ceph-block',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '100Gi' } },
      dataSource: {
        apiGroup: 'snapshot.storage.k8s.io',
        kind: 'VolumeSnapshot',
        name: 'golden-ubuntu-22-04',
      },
    });
  });

  it('writes authorized_keys and an SSH Service of the configured type', () => {
    const secret = buildSecret(config, instance, ['ssh-ed25519 AAAA a', 'ssh-ed25519 BBBB b']);
    expect(Buffer.from(secret.data!.authorized_keys!, 'base64').toString()).toBe(
      'ssh-ed25519 AAAA a\nssh-ed25519 BBBB b\n',
    );
    const svc = buildService(config, instance);
    expect(svc.metadata!.name).toBe('web1-k3f9x-ssh');
    // Reached only inside the cluster, through the SSH gateway: nothing is opened on the nodes.
    expect(svc.spec!.type).toBe('ClusterIP');
    expect(svc.spec!.ports).toEqual([{ name: 'ssh', port: 22, targetPort: 22, protocol: 'TCP' }]);
  });

  it('is deterministic: the same instance gives the same objects', () => {
    expect(buildPod(config, instance, image)).toEqual(buildPod(config, instance, image));
  });
});
