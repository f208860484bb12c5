/** Web-only users (no Slack account) are named after their Google account's stable id. */
export const webUserId = (googleSub: string): string =>
  `web-${googleSub.replace(/[^A-Za-z0-9]/g, '').slice(0, 48)}`;
