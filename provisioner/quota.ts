import type { Quota } from './config/schema.ts';
import type { InstanceSpec } from './domain/instance.ts';

export interface Usage {
  instances: number;
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
}

export const usageOf = (instances: readonly InstanceSpec[]): Usage =>
  instances.reduce(
    (u, i) => ({
      instances: u.instances + 1,
      cpu: u.cpu + i.cpu,
      memoryGiB: u.memoryGiB + i.memoryGiB,
      diskGiB: u.diskGiB + i.diskGiB,
    }),
    { instances: 0, cpu: 0, memoryGiB: 0, diskGiB: 0 },
  );

export const remaining = (quota: Quota, usage: Usage): Usage => ({
  instances: Math.max(0, quota.instances - usage.instances),
  cpu: Math.max(0, quota.cpu - usage.cpu),
  memoryGiB: Math.max(0, quota.memoryGiB - usage.memoryGiB),
  diskGiB: Math.max(0, quota.diskGiB - usage.diskGiB),
});

/** Why `spec` does not fit in what is left, or undefined when it does. Names the numbers. */
export function quotaProblem(
  quota: Quota,
  usage: Usage,
  spec: InstanceSpec,
): { field: string; message: string } | undefined {
  const left = remaining(quota, usage);
  if (left.instances < 1)
    return {
      field: 'name',
      message: `you already have ${usage.instances} of ${quota.instances} instances allowed; delete one or ask an admin for more`,
    };
  if (spec.cpu > left.cpu)
    return {
      field: 'cpu',
      message: `cpu ${spec.cpu} exceeds your quota: you have ${left.cpu} of ${quota.cpu} CPUs left`,
    };
  if (spec.memoryGiB > left.memoryGiB)
    return {
      field: 'memoryGiB',
      message: `memory ${spec.memoryGiB} GiB exceeds your quota: you have ${left.memoryGiB} of ${quota.memoryGiB} GiB left`,
    };
  if (spec.diskGiB > left.diskGiB)
    return {
      field: 'diskGiB',
      message: `disk ${spec.diskGiB} GiB exceeds your quota: you have ${left.diskGiB} of ${quota.diskGiB} GiB left`,
    };
  return undefined;
}
