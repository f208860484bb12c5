import type { Authorize, webApi } from '@slack/bolt';

/**
 * Bolt's single-token authorization without its eager auth.test: Bolt calls auth.test in the App
 * constructor, and if Slack is unreachable at that moment the rejected promise crashes the process.
 * Here auth.test runs on the first request, is cached once it succeeds, and is tried again after a
 * failure (that request then goes to the error handler like any other Slack error).
 */
export function botTokenAuthorize(client: webApi.WebClient, botToken: string): Authorize<boolean> {
  let identity: Promise<{ botUserId?: string; botId?: string }> | undefined;
  return async ({ isEnterpriseInstall }) => {
    identity ??= client.auth.test({ token: botToken }).then((r) => ({
      ...(r.user_id ? { botUserId: r.user_id } : {}),
      ...(r.bot_id ? { botId: r.bot_id } : {}),
    }));
    try {
      return { isEnterpriseInstall, botToken, ...(await identity) };
    } catch (error) {
      identity = undefined;
      throw error;
    }
  };
}
