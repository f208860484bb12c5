import type { webApi } from '@slack/bolt';
import type { Actor } from '../../provisioner/api.ts';
import { formatDuration } from '../../provisioner/api.ts';
import type { BotDeps } from '../deps.ts';
import { errorReply } from '../replies.ts';
import { createModal } from '../views/create-modal.ts';
import { messageModal } from '../views/message-modal.ts';

const LEASES = ['1d', '3d', '7d', '14d', '30d'];

/** Lease choices up to the policy maximum, always including the default. */
export function leaseChoices(defaultMs: number, maxMs: number): { options: string[]; defaultLease: string } {
  const defaultLease = formatDuration(defaultMs);
  const options = LEASES.filter((l) => {
    const ms = Number(l.slice(0, -1)) * 86_400_000;
    return ms <= maxMs;
  });
  if (!options.includes(defaultLease)) options.unshift(defaultLease);
  return { options, defaultLease };
}

/**
 * Opens the create form. The modal opens at once with a placeholder (a trigger_id lasts 3 s), then is
 * replaced by the real form once the limits are known — that may take longer when Kubernetes is slow.
 */
export async function openCreateModal(o: {
  actor: Actor;
  triggerId: string;
  client: webApi.WebClient;
  deps: BotDeps;
}): Promise<void> {
  const { api } = o.deps;
  const opened = await o.client.views.open({
    trigger_id: o.triggerId,
    view: messageModal({
      title: 'New machine',
      text: ':hourglass_flowing_sand: Checking your quota and the cluster…',
    }),
  });
  const viewId = opened.view?.id;
  const limits = await api.limits(o.actor);
  let view: ReturnType<typeof createModal> | ReturnType<typeof messageModal>;
  if (!limits.ok) {
    view = messageModal({ title: 'New machine', text: errorReply(o.deps, o.actor, limits.error).text });
  } else if (limits.value.instancesLeft < 1) {
    view = messageModal({
      title: 'New machine',
      text: ':no_entry: You have no machines left in your quota. Delete one (`/tispace delete <name>`) or ask an admin for more.',
    });
  } else if (limits.value.maxCpu < 1 || limits.value.maxMemoryGiB < 1 || limits.value.maxDiskGiB < 1) {
    view = messageModal({
      title: 'New machine',
      text: `:no_entry: Not even the smallest machine fits right now: at most ${limits.value.maxCpu} CPU, ${limits.value.maxMemoryGiB} GiB memory and ${limits.value.maxDiskGiB} GiB disk are available to you. Stop or delete a machine, or try later.`,
    });
  } else {
    const { defaultLease, maxLease } = api.config.policy;
    const leases = leaseChoices(defaultLease, maxLease);
    view = createModal({
      images: api.images(),
      sizes: api.sizes(),
      limits: limits.value,
      leases: leases.options,
      defaultLease: leases.defaultLease,
    });
  }
  await o.client.views.update({ view_id: viewId!, view });
}
