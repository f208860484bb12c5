import type { webApi } from '@slack/bolt';
import type { Actor } from '../../provisioner/api.ts';
import type { BotDeps } from '../deps.ts';
import type { MessageContent } from '../views/blocks.ts';

/** One `/tispace <sub> …` invocation, after ack(). */
export interface CommandContext {
  actor: Required<Actor>;
  /** Words after the subcommand (quotes honoured). */
  args: string[];
  /** The text after the subcommand, untouched (for `key add`, whose key contains spaces). */
  rest: string;
  triggerId: string;
  client: webApi.WebClient;
  /** Ephemeral reply to the user (response_url). */
  reply: (content: MessageContent) => Promise<void>;
  deps: BotDeps;
}

export type SubcommandHandler = (ctx: CommandContext) => Promise<void>;
