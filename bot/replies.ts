// How refusals reach the user: a Result error becomes a clear message; NotLinked becomes the link button.
import type { Actor, UserError } from '../provisioner/api.ts';
import type { BotDeps } from './deps.ts';
import type { MessageContent } from './views/blocks.ts';
import { linkPrompt } from './views/link-prompt.ts';

export const linkUrl = (deps: Pick<BotDeps, 'link'>, actor: Actor): string | undefined =>
  deps.link?.startUrl({ teamId: actor.teamId ?? '', userId: actor.userId });

export function errorReply(deps: Pick<BotDeps, 'link'>, actor: Actor, error: UserError): MessageContent {
  if (error.code === 'NotLinked') return linkPrompt({ message: error.message, url: linkUrl(deps, actor) });
  return { text: `:warning: ${error.message}` };
}
