import { errorReply, linkUrl } from '../replies.ts';
import { imagesMessage, quotaMessage, whoamiMessage } from '../views/account-messages.ts';
import { linkPrompt } from '../views/link-prompt.ts';
import type { CommandContext } from './context.ts';

export async function quotaCommand(ctx: CommandContext): Promise<void> {
  const usage = ctx.deps.api.usage(ctx.actor);
  if (!usage.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, usage.error));
  await ctx.reply(quotaMessage(usage.value));
}

export async function imagesCommand(ctx: CommandContext): Promise<void> {
  await ctx.reply(imagesMessage(ctx.deps.api.images(), ctx.deps.api.sizes()));
}

/** Works without a link: it is how one links. */
export async function loginCommand(ctx: CommandContext): Promise<void> {
  const who = ctx.deps.api.whoami(ctx.actor);
  const message = who.linked
    ? `You are linked as ${who.user?.email}. To link another Google account, sign in again:`
    : 'Sign in with your company Google account to use TiSpace:';
  await ctx.reply(linkPrompt({ message, url: linkUrl(ctx.deps, ctx.actor) }));
}

export async function whoamiCommand(ctx: CommandContext): Promise<void> {
  await ctx.reply(whoamiMessage(ctx.deps.api.whoami(ctx.actor), ctx.actor.userId));
}

export async function unlinkCommand(ctx: CommandContext): Promise<void> {
  const who = ctx.deps.api.whoami(ctx.actor);
  if (!who.user?.googleSub) return ctx.reply({ text: 'No Google account is linked; nothing to unlink.' });
  ctx.deps.api.unlinkIdentity(ctx.actor);
  await ctx.reply({
    text: `Unlinked ${who.user.email}. Your machines keep running; run \`/tispace login\` to use TiSpace again.`,
  });
}
