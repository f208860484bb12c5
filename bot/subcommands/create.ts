import { z } from 'zod';
import type { CreateRequest } from '../../provisioner/api.ts';
import { errorReply } from '../replies.ts';
import { usageOf } from './catalog.ts';
import type { CommandContext } from './context.ts';
import { openCreateModal } from './open-create-modal.ts';
import { parseArgs, wholeNumber } from './parse-args.ts';

const createSpec = {
  positionals: ['name'],
  flags: {
    image: { key: 'image' },
    size: { key: 'size' },
    cpu: { key: 'cpu' },
    mem: { key: 'memoryGiB' },
    memory: { key: 'memoryGiB' },
    disk: { key: 'diskGiB' },
    lease: { key: 'lease' },
  },
  schema: z
    .object({
      name: z.string({ message: 'a name is required' }),
      image: z.string().optional(),
      size: z.string().optional(),
      cpu: wholeNumber('--cpu', 1).optional(),
      memoryGiB: wholeNumber('--mem', 1).optional(),
      diskGiB: wholeNumber('--disk', 1).optional(),
      lease: z.string().optional(),
    })
    .refine((a) => !(a.size && (a.cpu !== undefined || a.memoryGiB !== undefined)), {
      message: 'use either --size or --cpu/--mem, not both',
      path: ['size'],
    }),
  usage: usageOf('create'),
} as const;

/** `/tispace create`: a form without arguments, a direct request with them. */
export async function createCommand(ctx: CommandContext): Promise<void> {
  if (ctx.args.length === 0) {
    await openCreateModal({ actor: ctx.actor, triggerId: ctx.triggerId, client: ctx.client, deps: ctx.deps });
    return;
  }
  const parsed = parseArgs(ctx.args, createSpec);
  if (!parsed.ok) return ctx.reply({ text: `:warning: ${parsed.message}` });
  const a = parsed.value;
  const request: CreateRequest = {
    name: a.name,
    ...(a.image !== undefined ? { image: a.image } : {}),
    ...(a.size !== undefined ? { size: a.size } : {}),
    ...(a.cpu !== undefined ? { cpu: a.cpu } : {}),
    ...(a.memoryGiB !== undefined ? { memoryGiB: a.memoryGiB } : {}),
    ...(a.diskGiB !== undefined ? { diskGiB: a.diskGiB } : {}),
    ...(a.lease !== undefined ? { lease: a.lease } : {}),
  };
  const created = await ctx.deps.api.create(ctx.actor, request);
  if (!created.ok) return ctx.reply(errorReply(ctx.deps, ctx.actor, created.error));
  const progress = ctx.deps.notifier.trackProgress(created.value);
  const i = created.value;
  await ctx.reply({
    text: `:rocket: Creating *${i.name}* (${i.cpu} CPU, ${i.memoryGiB} GiB, ${i.diskGiB} GiB disk, ${i.image}). I'll follow its progress in a DM.`,
  });
  await progress;
}
