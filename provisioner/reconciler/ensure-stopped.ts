import { isManagedInstanceObject } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import type { StoredInstance } from '../store/instances-repo.ts';
import { DONE, type ReconcileOutcome } from './controller.ts';
import { type InstanceContext, ref } from './instance-context.ts';

/** Stop: the Pod goes, the disk (and Service, Secret) stay. */
export async function ensureStopped(
  ctx: InstanceContext,
  instance: StoredInstance,
): Promise<ReconcileOutcome> {
  const ns = ctx.o.config.namespace;
  const names = objectNames(instance.id);
  const pod = ctx.o.world.pods.get(names.pod, ns);
  if (pod && isManagedInstanceObject(pod, instance.id)) {
    if (!pod.metadata?.deletionTimestamp) {
      ctx.step('delete-pod', instance.id);
      await ctx.deleteOwned(ref('v1', 'Pod', names.pod, ns), pod.metadata?.uid);
    }
    ctx.setStatus(instance, { phase: 'stopping' });
    return DONE;
  }
  ctx.setStatus(instance, {
    phase: 'stopped',
    node: null,
    readyAt: null,
    stoppedAt: instance.stoppedAt ?? ctx.o.clock.now().toISOString(),
    conditions: [{ type: 'Ready', status: 'False', reason: 'Stopped', message: 'stopped; the disk is kept' }],
  });
  return DONE;
}
