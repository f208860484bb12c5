import { DEACTIVATED_MESSAGE, looksLikePrivateKey } from '../../provisioner/api.ts';
import { errorReply, linkUrl } from '../replies.ts';
import { helpMessage } from '../views/help.ts';
import { linkPrompt } from '../views/link-prompt.ts';
import { imagesCommand, loginCommand, quotaCommand, unlinkCommand, whoamiCommand } from './account.ts';
import { adminCommand } from './admin.ts';
import { SUBCOMMANDS, WITHOUT_LINK } from './catalog.ts';
import type { CommandContext, SubcommandHandler } from './context.ts';
import { createCommand } from './create.ts';
import { didYouMean } from './did-you-mean.ts';
import { infoCommand, listCommand, sshCommand, sshConfigCommand } from './instances.ts';
import { keyCommand } from './keys.ts';
import { deleteCommand, extendCommand, restoreCommand, startCommand, stopCommand } from './lifecycle.ts';
import { tokenize } from './tokenize.ts';

const helpCommand: SubcommandHandler = (ctx) =>
  ctx.reply(helpMessage({ isAdmin: ctx.deps.api.whoami(ctx.actor).isAdmin }));

/** Every subcommand of /tispace and its handler. */
const SUBCOMMAND_HANDLERS: Readonly<Record<string, SubcommandHandler>> = {
  help: helpCommand,
  create: createCommand,
  list: listCommand,
  info: infoCommand,
  ssh: sshCommand,
  'ssh-config': sshConfigCommand,
  stop: stopCommand,
  start: startCommand,
  extend: extendCommand,
  delete: deleteCommand,
  restore: restoreCommand,
  key: keyCommand,
  keys: keyCommand,
  quota: quotaCommand,
  images: imagesCommand,
  login: loginCommand,
  whoami: whoamiCommand,
  unlink: unlinkCommand,
  admin: adminCommand,
};

const PRIVATE_KEY_WARNING =
  ':rotating_light: That looks like a *private* key. It was not stored, logged or shown anywhere. Treat it as exposed: make a new key pair and add only the public part (the `.pub` file) with `/tispace key add`.';

/** Runs `/tispace <text>` for the actor (after ack()). */
export async function dispatchCommand(
  ctx: Omit<CommandContext, 'args' | 'rest'> & { text: string },
): Promise<void> {
  // Before anything else reads the text: a pasted private key is refused and never echoed.
  if (looksLikePrivateKey(ctx.text)) return ctx.reply({ text: PRIVATE_KEY_WARNING });
  const tokens = tokenize(ctx.text);
  if (!tokens.ok) return ctx.reply({ text: `:warning: ${tokens.message}. Usage: \`/tispace help\`` });
  const [first, ...args] = tokens.tokens;
  const sub = (first ?? 'help').toLowerCase();
  const handler = Object.hasOwn(SUBCOMMAND_HANDLERS, sub) ? SUBCOMMAND_HANDLERS[sub] : undefined;
  const who = ctx.deps.api.whoami(ctx.actor);
  if (!handler) {
    const suggestion = didYouMean(sub, [...SUBCOMMANDS.map((s) => s.name), 'admin']);
    return ctx.reply(helpMessage({ isAdmin: who.isAdmin, unknown: { input: first ?? '', suggestion } }));
  }
  if (!WITHOUT_LINK.has(sub)) {
    if (who.user?.deactivatedAt)
      return ctx.reply(
        errorReply(ctx.deps, ctx.actor, { code: 'Deactivated', message: DEACTIVATED_MESSAGE }),
      );
    if (!who.linked)
      return ctx.reply(
        linkPrompt({
          message: who.linkExpired
            ? 'Your Google account link has expired. Sign in again to keep using TiSpace.'
            : 'Link your Google account first to use TiSpace.',
          url: linkUrl(ctx.deps, ctx.actor),
        }),
      );
  }
  const rest = ctx.text.replace(/^\s*\S+\s*/, '');
  await handler({ ...ctx, args, rest });
}
