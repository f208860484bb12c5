import { errorReply } from '../replies.ts';
import { instanceInfoMessage, instanceListMessage } from '../views/instance-messages.ts';
import { sshConfigMessage, sshMessage } from '../views/ssh-messages.ts';
import { usageOf } from './catalog.ts';
import type { CommandContext } from './context.ts';
import { nameArg } from './require-name.ts';

export async function listCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 0)
    return ctx.reply({ text: `:warning: list takes no arguments.\nUsage: \`${usageOf('list')}\`` });
  const listed = ctx.deps.api.list(ctx.actor);
  if (!listed.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, listed.error));
  await ctx.reply(instanceListMessage({ instances: listed.value, now: ctx.deps.clock.now() }));
}

export async function infoCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'info');
  if (typeof name !== 'string') return ctx.reply(name);
  const found = ctx.deps.api.get(ctx.actor, name);
  if (!found.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, found.error));
  await ctx.reply(instanceInfoMessage(found.value, ctx.deps.clock.now()));
}

export async function sshCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'ssh');
  if (typeof name !== 'string') return ctx.reply(name);
  const found = ctx.deps.api.get(ctx.actor, name);
  if (!found.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, found.error));
  await ctx.reply(sshMessage(found.value));
}

/** `/tispace ssh-config`: one ~/.ssh/config text for all the caller's machines (their own, even for admins). */
export async function sshConfigCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length > 0)
    return ctx.reply({
      text: `:warning: ssh-config takes no arguments (it covers all your machines); for one machine: \`/tispace ssh <name>\`.\nUsage: \`${usageOf('ssh-config')}\``,
    });
  const listed = ctx.deps.api.list(ctx.actor);
  if (!listed.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, listed.error));
  await ctx.reply(sshConfigMessage(listed.value));
}
