import { z } from 'zod';
import type { Quota } from '../../provisioner/api.ts';
import { errorReply } from '../replies.ts';
import { capacityMessage } from '../views/account-messages.ts';
import { instanceListMessage } from '../views/instance-messages.ts';
import { ADMIN_SUBCOMMANDS, usageOf } from './catalog.ts';
import type { CommandContext } from './context.ts';
import { didYouMean } from './did-you-mean.ts';
import { parseArgs, wholeNumber } from './parse-args.ts';

/** `<@U123|ada>`, `<@U123>` or `U123` → `U123`. */
const userIdOf = (ref: string): string | undefined => {
  const m = /^<@([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(ref) ?? /^@?([UW][A-Z0-9]{2,})$/.exec(ref);
  return m?.[1];
};

const quotaSpec = {
  positionals: ['user'],
  flags: {
    cpu: { key: 'cpu' },
    mem: { key: 'memoryGiB' },
    memory: { key: 'memoryGiB' },
    disk: { key: 'diskGiB' },
    instances: { key: 'instances' },
  },
  schema: z
    .object({
      user: z.string({ message: 'the user is required (@mention or user id)' }),
      cpu: wholeNumber('--cpu').optional(),
      memoryGiB: wholeNumber('--mem').optional(),
      diskGiB: wholeNumber('--disk').optional(),
      instances: wholeNumber('--instances').optional(),
    })
    .refine(
      (a) =>
        a.cpu !== undefined ||
        a.memoryGiB !== undefined ||
        a.diskGiB !== undefined ||
        a.instances !== undefined,
      {
        message: 'give at least one of --cpu, --mem, --disk, --instances',
        path: ['cpu'],
      },
    ),
  usage: usageOf('quota', true),
} as const;

const reapSpec = {
  positionals: [],
  flags: { 'dry-run': { key: 'dryRun', boolean: true } },
  schema: z.object({
    dryRun: z.literal(true, {
      message: 'only `--dry-run` is supported: reaping itself runs on its schedule',
    }),
  }),
  usage: usageOf('reap', true),
} as const;

const idArg = (ctx: CommandContext): string | undefined => (ctx.args.length === 2 ? ctx.args[1] : undefined);

/** `/tispace admin …`: checked here for a clear answer; the provisioner checks again on every call. */
export async function adminCommand(ctx: CommandContext): Promise<void> {
  const { api } = ctx.deps;
  if (!api.whoami(ctx.actor).isAdmin)
    return ctx.reply({
      text: ':no_entry: `admin` commands are for TiSpace admins (listed by Google email in the config).',
    });
  const [sub] = ctx.args;
  const names = ADMIN_SUBCOMMANDS.map((s) => s.name);
  const usage = (name: string) => `\nUsage: \`${usageOf(name, true)}\``;
  switch (sub) {
    case 'list': {
      const all = api.list(ctx.actor, { all: true });
      if (!all.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, all.error));
      return ctx.reply(
        instanceListMessage({
          instances: all.value,
          now: ctx.deps.clock.now(),
          title: 'All machines',
          showOwner: true,
        }),
      );
    }
    case 'quota': {
      const parsed = parseArgs(ctx.args.slice(1), quotaSpec);
      if (!parsed.ok) return ctx.reply({ text: `:warning: ${parsed.message}` });
      const { user, ...change } = parsed.value;
      const userId = userIdOf(user);
      if (!userId)
        return ctx.reply({
          text: `:warning: "${user.slice(0, 40)}" is not a user; @mention them or give their user id (U…).${usage('quota')}`,
        });
      const quota = api.setQuota(ctx.actor, userId, change as Partial<Quota>);
      if (!quota.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, quota.error));
      const q = quota.value;
      return ctx.reply({
        text: `Quota of <@${userId}> is now ${q.instances} machines, ${q.cpu} CPU, ${q.memoryGiB} GiB memory, ${q.diskGiB} GiB disk.`,
      });
    }
    case 'capacity': {
      const nodes = api.capacity(ctx.actor);
      if (!nodes.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, nodes.error));
      return ctx.reply(capacityMessage(nodes.value));
    }
    case 'keep':
    case 'unkeep': {
      const id = idArg(ctx);
      if (!id) return ctx.reply({ text: `:warning: \`admin ${sub}\` needs one instance id.${usage(sub)}` });
      const kept = api.keep(ctx.actor, { id }, sub === 'keep');
      if (!kept.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, kept.error));
      return ctx.reply({
        text:
          sub === 'keep'
            ? `\`${kept.value.id}\` is exempt from retention.`
            : `\`${kept.value.id}\` follows retention again.`,
      });
    }
    case 'stop':
    case 'delete': {
      const id = idArg(ctx);
      if (!id) return ctx.reply({ text: `:warning: \`admin ${sub}\` needs one instance id.${usage(sub)}` });
      const done =
        sub === 'stop'
          ? api.stop(ctx.actor, { id }, `stopped by admin ${ctx.actor.userId}`)
          : api.delete(ctx.actor, { id }, `deleted by admin ${ctx.actor.userId}`);
      if (!done.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, done.error));
      return ctx.reply({
        text: `${sub === 'stop' ? 'Stopping' : 'Deleting'} \`${done.value.id}\` of <@${done.value.ownerId}>.`,
      });
    }
    case 'reactivate': {
      const ref = idArg(ctx);
      const userId = ref && userIdOf(ref);
      if (!userId)
        return ctx.reply({
          text: `:warning: \`admin reactivate\` needs one user: @mention them or give their user id (U…).${usage('reactivate')}`,
        });
      if (!api.whoami({ userId }).user?.deactivatedAt)
        return ctx.reply({
          text: `:information_source: <@${userId}> is not deactivated; there is nothing to reactivate.`,
        });
      const back = api.reactivate(ctx.actor, userId);
      if (!back.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, back.error));
      return ctx.reply({
        text: `<@${userId}> is reactivated: they can use TiSpace again, and their SSH keys work on their machines again.`,
      });
    }
    case 'reap': {
      const parsed = parseArgs(ctx.args.slice(1), reapSpec);
      if (!parsed.ok) return ctx.reply({ text: `:warning: ${parsed.message}` });
      if (!ctx.deps.jobs)
        return ctx.reply({
          text: 'Reaping is not available: the scheduled jobs are not running in this process.',
        });
      const plan = await ctx.deps.jobs.dryRun();
      if (plan.length === 0)
        return ctx.reply({ text: 'Nothing to do: no instance is due for a reminder, stop or deletion.' });
      const lines = plan.map((p) => `\`${p.instanceId}\` (<@${p.owner}>): *${p.action}* — ${p.reason}`);
      return ctx.reply({ text: `*Would do now* (${plan.length})\n${lines.join('\n')}`.slice(0, 3900) });
    }
    default: {
      const guess = sub ? didYouMean(sub, names) : undefined;
      const list = ADMIN_SUBCOMMANDS.map((s) => `\`${s.usage}\``).join('\n');
      return ctx.reply({
        text: `:warning: ${sub ? `\`admin ${sub.slice(0, 40)}\` is not an admin command` : '`admin` needs a subcommand'}${guess ? ` — did you mean \`admin ${guess}\`?` : ''}\n${list}`,
      });
    }
  }
}
