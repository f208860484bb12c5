import type { BotDeps } from '../../deps.ts';
import { homePageOf, publishHome } from '../../home/publish-home.ts';
import { actorOf } from '../actor.ts';
import type { BlockActionArgs } from './action-context.ts';

const SORRY =
  "Sorry, I don't know that button (it may be from an older version of TiSpace). Try `/tispace help`.";

/** An action this version does not know (an old message's button, a forged payload): a polite answer. */
export const unknownAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  deps.log.info({ actionId: args.action.action_id, user: args.body.user.id }, 'unknown action');
  if (args.body.response_url)
    await args.respond({ response_type: 'ephemeral', replace_original: false, text: SORRY });
  else if (args.body.view?.type === 'home')
    await publishHome({
      client: args.client,
      deps,
      actor: actorOf(args.body),
      page: homePageOf(args.body.view.private_metadata),
      notice: SORRY,
    });
};
