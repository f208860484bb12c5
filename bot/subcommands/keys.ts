import { KEY_HELP } from '../../provisioner/api.ts';
import { errorReply } from '../replies.ts';
import { keyListMessage } from '../views/account-messages.ts';
import { usageOf } from './catalog.ts';
import type { CommandContext } from './context.ts';
import { didYouMean } from './did-you-mean.ts';

const ACTIONS = ['add', 'list', 'remove'];

/** `/tispace key add|list|remove`. The key text is passed to the provisioner as typed and never echoed. */
export async function keyCommand(ctx: CommandContext): Promise<void> {
  const [action] = ctx.args;
  const usage = `\nUsage: \`${usageOf('key')}\``;
  switch (action) {
    case 'add': {
      const text = ctx.rest.replace(/^\s*add\b/, '').trim();
      if (!text)
        return ctx.reply({ text: `:warning: paste the key after \`key add\`: ${KEY_HELP}.${usage}` });
      const added = ctx.deps.api.addKey(ctx.actor, text);
      if (!added.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, added.error));
      const k = added.value;
      return ctx.reply({
        text: `:key: Added ${k.type} key \`${k.fingerprint}\`${k.comment ? ` (${k.comment})` : ''}. Running machines get it within a minute.`,
      });
    }
    case 'list': {
      const keys = ctx.deps.api.listKeys(ctx.actor);
      if (!keys.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, keys.error));
      return ctx.reply(keyListMessage(keys.value));
    }
    case 'remove': {
      const ref = ctx.args[1];
      if (!ref || ctx.args.length > 2)
        return ctx.reply({
          text: `:warning: name one key: its number, fingerprint or comment from \`/tispace key list\`.${usage}`,
        });
      const removed = ctx.deps.api.removeKey(ctx.actor, ref);
      if (!removed.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, removed.error));
      return ctx.reply({ text: `:key: Removed key \`${removed.value.fingerprint}\`.` });
    }
    default: {
      const guess = action ? didYouMean(action, ACTIONS) : undefined;
      const what = action
        ? `\`key ${action.slice(0, 40)}\` is not a key command`
        : '`key` needs add, list or remove';
      return ctx.reply({
        text: `:warning: ${what}${guess ? ` — did you mean \`key ${guess}\`?` : ''}.${usage}`,
      });
    }
  }
}
