import { formatCpu, formatGiB, place } from '../capacity.ts';
import { CapacitySource } from '../capacity-source.ts';
import type { Quota } from '../config/schema.ts';
import { remaining, type Usage, usageOf } from '../quota.ts';
import type { ServiceContext } from './context.ts';

// Quota use and room on the nodes, as the decisions of the API read them.

export interface UsageReport {
  quota: Quota;
  used: Usage;
  left: Usage;
}

type Overhead = { cpuMilli: number; memoryBytes: number };
type Spec = { cpu: number; memoryGiB: number };

export const quotaOf = (ctx: ServiceContext, userId: string): Quota =>
  ctx.store.quotas.get(userId) ?? ctx.config.quota;

/** Stopped instances keep their disk and their slot, but not their CPU and memory. */
export function usageReport(ctx: ServiceContext, userId: string): UsageReport {
  const { instances } = ctx.store;
  const mine = instances.listByOwner(userId);
  const all = usageOf(mine);
  const running = usageOf(mine.filter((i) => i.desired === 'running'));
  // A deleted machine's final snapshot, held for the grace period, still holds its disk's data: it
  // counts against the disk quota, or create–fill–delete could be repeated without limit.
  const held = usageOf(
    instances
      .listByOwner(userId, { includeDeleted: true })
      .filter((i) => i.phase === 'deleted' && i.snapshotName !== null),
  );
  const used = {
    instances: all.instances,
    diskGiB: all.diskGiB + held.diskGiB,
    cpu: running.cpu,
    memoryGiB: running.memoryGiB,
  };
  const quota = quotaOf(ctx, userId);
  return { quota, used, left: remaining(quota, used) };
}

export function placement(ctx: ServiceContext, spec: Spec, overhead: Overhead, free = ctx.d.capacity.free()) {
  const bound = ctx.d.capacity.boundInstanceIds();
  const pending = ctx.store.instances
    .listPlacementCandidates()
    .filter((i) => !bound.has(i.id))
    .map((i) => CapacitySource.requestOf(i, overhead));
  return place(free, pending, CapacitySource.requestOf(spec, overhead));
}

/** Why no node can take the spec now (in words, with what would fit), or undefined when one can. */
export function capacityProblem(ctx: ServiceContext, spec: Spec, overhead: Overhead): string | undefined {
  const free = ctx.d.capacity.free();
  if (free.length === 0) return 'no development node is available right now; try again later or ask an admin';
  // free() walks every Pod in the cache: computed once per decision.
  const result = placement(ctx, spec, overhead, free);
  if (result.fits) return undefined;
  const biggest = [...free].sort((a, b) => b.allocatable.cpuMilli - a.allocatable.cpuMilli)[0]!;
  const need = CapacitySource.requestOf(spec, overhead);
  if (need.cpuMilli > biggest.allocatable.cpuMilli || need.memoryBytes > biggest.allocatable.memoryBytes)
    return `${spec.cpu} CPUs and ${spec.memoryGiB} GiB is larger than any development node (the largest has ${formatCpu(biggest.allocatable.cpuMilli - overhead.cpuMilli)} CPUs and ${formatGiB(biggest.allocatable.memoryBytes - overhead.memoryBytes)} GiB for an instance)`;
  const l = result.largest!;
  return `no single node has room for ${spec.cpu} CPUs and ${spec.memoryGiB} GiB right now; the largest free slot is ${formatCpu(l.cpuMilli - overhead.cpuMilli)} CPUs and ${formatGiB(l.memoryBytes - overhead.memoryBytes)} GiB (on ${l.node}), ${formatCpu(result.totalFree.cpuMilli)} CPUs free in total. Choose a smaller size or try later`;
}
