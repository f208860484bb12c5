// What the bot needs from Google account linking (bot/identity/google-link.ts implements it).
import type { CustomRoute } from '@slack/bolt';

export interface GoogleLinkPort {
  /** A sign-in URL bound to this Slack user (single use, short-lived). */
  startUrl(actor: { teamId: string; userId: string }): string;
  /** GET /auth/google/start and GET /auth/google/callback, served by the Bolt HTTP receiver. */
  routes: CustomRoute[];
}
