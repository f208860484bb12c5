import type { webApi } from '@slack/bolt';
import { type Actor, formatDuration } from '../../provisioner/api.ts';
import type { BotDeps } from '../deps.ts';
import { linkUrl } from '../replies.ts';
import { homeView } from '../views/home.ts';

/** Builds and publishes a user's App Home (page `page`, with an optional notice about their last action). */
export async function publishHome(o: {
  client: webApi.WebClient;
  deps: BotDeps;
  actor: Actor;
  page?: number;
  notice?: string | undefined;
}): Promise<void> {
  const { api, clock } = o.deps;
  const who = api.whoami(o.actor);
  const now = clock.now();
  const common = {
    page: o.page ?? 0,
    now,
    notice: o.notice,
    extendBy: '1d',
    deleteGrace: formatDuration(api.config.policy.snapshotGrace),
  };
  if (!who.linked) {
    const message = who.linkExpired
      ? 'Your Google account link has expired. Sign in again to see your machines.'
      : 'Link your Google account to create and manage development machines.';
    const view = homeView({
      ...common,
      instances: [],
      usage: undefined,
      link: { message, url: linkUrl(o.deps, o.actor) },
    });
    await o.client.views.publish({ user_id: o.actor.userId, view });
    return;
  }
  const listed = api.list(o.actor);
  const usage = api.usage(o.actor);
  const view = homeView({
    ...common,
    instances: listed.ok ? listed.value : [],
    usage: usage.ok ? usage.value : undefined,
    notice: o.notice ?? (!listed.ok ? listed.error.message : undefined),
  });
  await o.client.views.publish({ user_id: o.actor.userId, view });
}

/** The Home page the user was looking at, from the view's private_metadata. */
export function homePageOf(privateMetadata: string | undefined): number {
  try {
    const page = (JSON.parse(privateMetadata ?? '{}') as { page?: unknown }).page;
    return typeof page === 'number' && Number.isInteger(page) && page >= 0 ? page : 0;
  } catch {
    return 0;
  }
}
