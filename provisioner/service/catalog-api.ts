import { GiB, type NodeFree } from '../capacity.ts';
import type { ImageConfig, Quota } from '../config/schema.ts';
import { fail, ok, type Result } from '../errors.ts';
import type { Actor, ServiceContext } from './context.ts';
import { placement, quotaOf, type UsageReport, usageReport } from './usage.ts';

export interface Limits {
  /** The most one new instance may have right now: per-instance limits ∩ quota left ∩ largest free node. */
  maxCpu: number;
  maxMemoryGiB: number;
  maxDiskGiB: number;
  instancesLeft: number;
}

/** Catalog, quota and capacity: what may be created, and how much is used and left. */
export function catalogApi(ctx: ServiceContext) {
  return {
    images(): readonly ImageConfig[] {
      return ctx.config.images;
    },

    sizes(): Readonly<Record<string, { cpu: number; memoryGiB: number }>> {
      return ctx.config.sizes;
    },

    usage(actor: Actor, of?: string): Result<UsageReport> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const target = of ?? actor.userId;
      if (target !== actor.userId && !who.value.isAdmin)
        return fail('Forbidden', 'only admins can see other users’ usage');
      return ok(usageReport(ctx, target));
    },

    /** What the create form may offer this user now. */
    async limits(actor: Actor): Promise<Result<Limits>> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const { left } = usageReport(ctx, actor.userId);
      const overhead = await ctx.d.capacity.overhead();
      const largest = placement(ctx, { cpu: 0, memoryGiB: 0 }, overhead).largest;
      const { maxCpu, maxMemoryGiB, maxDiskGiB } = ctx.config.limits;
      const nodeCpu = largest ? Math.floor((largest.cpuMilli - overhead.cpuMilli) / 1000) : 0;
      const nodeMem = largest ? Math.floor((largest.memoryBytes - overhead.memoryBytes) / GiB) : 0;
      return ok({
        maxCpu: Math.max(0, Math.min(maxCpu, left.cpu, nodeCpu)),
        maxMemoryGiB: Math.max(0, Math.min(maxMemoryGiB, left.memoryGiB, nodeMem)),
        maxDiskGiB: Math.max(0, Math.min(maxDiskGiB, left.diskGiB)),
        instancesLeft: left.instances,
      });
    },

    capacity(actor: Actor): Result<NodeFree[]> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      if (!who.value.isAdmin) return fail('Forbidden', 'only admins can see cluster capacity');
      return ok(ctx.d.capacity.free());
    },

    setQuota(actor: Actor, userId: string, change: Partial<Quota>): Result<Quota> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      if (!who.value.isAdmin) return fail('Forbidden', 'only admins can change quotas');
      for (const [k, v] of Object.entries(change))
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 10_000)
          return fail('InvalidInput', `${k} must be a whole number from 0 to 10000; got ${v}`, k);
      const quota = { ...quotaOf(ctx, userId), ...change };
      ctx.store.durably(() => {
        ctx.store.quotas.set(userId, quota, actor.userId, ctx.now().toISOString());
        ctx.audit(actor.userId, 'set-quota', null, `quota of ${userId} set`, { userId, quota });
      });
      return ok(quota);
    },
  };
}
