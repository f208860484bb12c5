import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { offboardedMessage } from '../../views/notices.ts';

type Args = SlackEventMiddlewareArgs<'user_change'> & AllMiddlewareArgs;

/** A deactivated Slack user is offboarded: their machines stop (disks kept) and admins are told. */
export const userChange =
  (deps: BotDeps) =>
  async ({ event }: Args): Promise<void> => {
    const user = event.user as { id: string; deleted?: boolean };
    if (!user.deleted) return;
    const already = deps.api.whoami({ userId: user.id }).user?.deactivatedAt;
    if (already) return;
    const reason = 'deactivated in Slack';
    const stopped = deps.api.offboard(user.id, reason);
    deps.log.info({ userId: user.id, stopped: stopped.map((i) => i.id) }, 'user offboarded');
    await deps.notifier.adminAlert(offboardedMessage(user.id, stopped, reason).text);
  };
