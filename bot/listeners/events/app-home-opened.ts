import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { publishHome } from '../../home/publish-home.ts';
import { eventActor } from '../actor.ts';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

/** Publishes the Home tab, and remembers the user's time zone for reminders. */
export const appHomeOpened =
  (deps: BotDeps) =>
  async ({ event, body, client }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    const actor = eventActor(event.user, body);
    const info = await client.users.info({ user: event.user });
    if (info.user?.tz) deps.api.setTimeZone(event.user, info.user.tz);
    await publishHome({ client, deps, actor });
  };
