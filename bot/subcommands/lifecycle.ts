import { DURATION_HELP, formatDuration, parseDuration } from '../../provisioner/api.ts';
import { errorReply } from '../replies.ts';
import {
  deleteConfirmMessage,
  extendedText,
  startingText,
  stoppingText,
} from '../views/instance-messages.ts';
import type { CommandContext } from './context.ts';
import { nameArg } from './require-name.ts';

export async function stopCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'stop');
  if (typeof name !== 'string') return ctx.reply(name);
  const stopped = ctx.deps.api.stop(ctx.actor, name);
  if (!stopped.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, stopped.error));
  await ctx.reply({ text: stoppingText(stopped.value) });
}

export async function startCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'start');
  if (typeof name !== 'string') return ctx.reply(name);
  const started = await ctx.deps.api.start(ctx.actor, name);
  if (!started.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, started.error));
  const progress = ctx.deps.notifier.trackProgress(started.value);
  await ctx.reply({ text: startingText(started.value) });
  await progress;
}

export async function extendCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'extend', 1);
  if (typeof name !== 'string') return ctx.reply(name);
  const by = ctx.args[1];
  if (by !== undefined && parseDuration(by) === undefined)
    return ctx.reply({ text: `:warning: "${by.slice(0, 40)}" is not a duration; use ${DURATION_HELP}.` });
  const extended = ctx.deps.api.extend(ctx.actor, name, by);
  if (!extended.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, extended.error));
  const amount = by ?? formatDuration(ctx.deps.api.config.policy.defaultLease);
  await ctx.reply({ text: extendedText(extended.value, amount) });
}

/** Asks first: an ephemeral message with a confirm button. */
export async function deleteCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'delete');
  if (typeof name !== 'string') return ctx.reply(name);
  const found = ctx.deps.api.get(ctx.actor, name);
  if (!found.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, found.error));
  if (found.value.desired === 'deleted')
    return ctx.reply({ text: `:warning: ${found.value.name} is already being deleted.` });
  await ctx.reply(
    deleteConfirmMessage(found.value, formatDuration(ctx.deps.api.config.policy.snapshotGrace)),
  );
}

export async function restoreCommand(ctx: CommandContext): Promise<void> {
  const name = nameArg(ctx, 'restore');
  if (typeof name !== 'string') return ctx.reply(name);
  const restored = await ctx.deps.api.restore(ctx.actor, name);
  if (!restored.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, restored.error));
  const progress = ctx.deps.notifier.trackProgress(restored.value);
  await ctx.reply({
    text: `:recycle: Restoring *${restored.value.name}* from its snapshot. I'll DM you when it is ready.`,
  });
  await progress;
}
