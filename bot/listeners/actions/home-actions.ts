import type { BotDeps } from '../../deps.ts';
import { publishHome } from '../../home/publish-home.ts';
import { openCreateModal } from '../../subcommands/open-create-modal.ts';
import { actorOf } from '../actor.ts';
import { type BlockActionArgs, buttonValue } from './action-context.ts';

export const homePageAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  const page = Number.parseInt(buttonValue(args), 10);
  await publishHome({
    client: args.client,
    deps,
    actor: actorOf(args.body),
    page: Number.isFinite(page) ? page : 0,
  });
};

export const openCreateAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  await openCreateModal({
    actor: actorOf(args.body),
    triggerId: args.body.trigger_id,
    client: args.client,
    deps,
  });
};

/** URL buttons (Google sign-in) still send an interaction; there is nothing to do but acknowledge it. */
export const acknowledgeOnly = () => async (args: BlockActionArgs) => {
  await args.ack();
};
