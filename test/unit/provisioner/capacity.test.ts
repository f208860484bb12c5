import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { freePerNode, GiB, place, podRequests } from '../../../provisioner/capacity.ts';

const node = (name: string, cpu: string, memory: string, extra: Partial<V1Node> = {}): V1Node => ({
  metadata: { name, labels: { 'tispace.io/pool': 'dev' } },
  status: { allocatable: { cpu, memory }, conditions: [{ type: 'Ready', status: 'True' }] },
  ...extra,
});
const pod = (
  nodeName: string,
  cpu: string,
  memory: string,
  extra: Partial<V1Pod['spec']> = {},
  phase = 'Running',
): V1Pod => ({
  metadata: { name: `p-${Math.random()}` },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu, memory } } }], ...extra },
  status: { phase },
});
const selector = { 'tispace.io/pool': 'dev' };

describe('capacity', () => {
  it('counts container requests, init containers and the RuntimeClass overhead', () => {
    const p = pod('n1', '2', '4Gi', {
      initContainers: [{ name: 'i', resources: { requests: { cpu: '3', memory: '1Gi' } } }],
      overhead: { cpu: '250m', memory: '320Mi' },
    });
    expect(podRequests(p)).toEqual({ cpuMilli: 3250, memoryBytes: 4 * GiB + 320 * 2 ** 20 });
  });

  it('free = allocatable − requests of Pods bound there, for ready dev-pool nodes only', () => {
    const nodes = [
      node('dev-1', '32', '128Gi'),
      node('dev-2', '32', '128Gi', { spec: { unschedulable: true } }),
      { ...node('other', '64', '256Gi'), metadata: { name: 'other', labels: {} } },
      {
        ...node('dev-3', '32', '128Gi'),
        status: {
          allocatable: { cpu: '32', memory: '128Gi' },
          conditions: [{ type: 'Ready', status: 'False' }],
        },
      },
    ];
    const pods = [
      pod('dev-1', '8', '32Gi'),
      pod('dev-1', '4', '4Gi', {}, 'Succeeded'),
      pod('other', '1', '1Gi'),
    ];
    const free = freePerNode(nodes, pods, selector);
    expect(free.map((f) => f.node)).toEqual(['dev-1']);
    expect(free[0]).toMatchObject({ cpuMilli: 24_000, memoryBytes: 96 * GiB });
  });

  it('subtracts the per-node reserve for the Pods TiSpace cannot see (DaemonSets) from every node', () => {
    const reserved = { cpuMilli: 1500, memoryBytes: 2 * GiB };
    const free = freePerNode(
      [node('dev-1', '32', '128Gi'), node('dev-2', '16', '64Gi')],
      [pod('dev-1', '8', '32Gi')],
      selector,
      reserved,
    );
    expect(free.map(({ node, cpuMilli, memoryBytes }) => ({ node, cpuMilli, memoryBytes }))).toEqual([
      { node: 'dev-1', cpuMilli: 22_500, memoryBytes: 94 * GiB },
      { node: 'dev-2', cpuMilli: 14_500, memoryBytes: 62 * GiB },
    ]);
  });

  it('refuses a request that fits in sum but on no single node, naming the largest slot', () => {
    const free = freePerNode([node('a', '8', '32Gi'), node('b', '8', '32Gi')], [], selector);
    const r = place(free, [], { cpuMilli: 12_000, memoryBytes: 16 * GiB });
    expect(r.fits).toBe(false);
    expect(r.totalFree.cpuMilli).toBe(16_000);
    expect(r.largest?.cpuMilli).toBe(8000);
    expect(place(free, [], { cpuMilli: 8000, memoryBytes: 32 * GiB }).fits).toBe(true);
  });

  it('places accepted-but-unbound requests first', () => {
    const free = freePerNode([node('a', '8', '32Gi')], [], selector);
    const pending = [{ cpuMilli: 6000, memoryBytes: 8 * GiB }];
    expect(place(free, pending, { cpuMilli: 4000, memoryBytes: GiB }).fits).toBe(false);
    expect(place(free, pending, { cpuMilli: 2000, memoryBytes: GiB }).fits).toBe(true);
  });
});
