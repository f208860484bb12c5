import type { MessageContent } from '../views/blocks.ts';
import { usageOf } from './catalog.ts';
import type { CommandContext } from './context.ts';

/** The `<name>` argument of a subcommand, or the reply that says it is missing and shows the usage. */
export function nameArg(ctx: Pick<CommandContext, 'args'>, sub: string, extra = 0): string | MessageContent {
  const [name] = ctx.args;
  if (name !== undefined && ctx.args.length <= 1 + extra) return name;
  const why =
    name === undefined ? `\`${sub}\` needs the machine's name` : `too many arguments for \`${sub}\``;
  return { text: `:warning: ${why}.\nUsage: \`${usageOf(sub)}\`` };
}
