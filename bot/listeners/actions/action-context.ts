import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Actor, Result } from '../../../provisioner/api.ts';
import type { BotDeps } from '../../deps.ts';
import { homePageOf, publishHome } from '../../home/publish-home.ts';
import { errorReply } from '../../replies.ts';
import { noticeOutcome } from '../../views/notices.ts';
import { actorOf } from '../actor.ts';

export type BlockActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** A button's value: an instance id only (ownership is checked again by the provisioner). */
export const buttonValue = (args: Pick<BlockActionArgs, 'action'>): string => {
  const value = 'value' in args.action ? args.action.value : undefined;
  return typeof value === 'string' ? value.slice(0, 100) : '';
};

const fromHome = (body: BlockAction): boolean =>
  body.container?.type === 'view' && body.view?.type === 'home';

/**
 * Runs an action on the instance named by the button and shows the outcome where the click came from: the
 * App Home is republished with a notice; a message is replaced in place (errors are added as an ephemeral
 * reply and leave the message and its buttons as they were).
 */
export async function runInstanceAction<T>(
  args: BlockActionArgs,
  deps: BotDeps,
  run: (actor: Required<Actor>, instance: { id: string }) => Result<T> | Promise<Result<T>>,
  describe: (value: T) => string,
): Promise<Result<T>> {
  const { body, client, respond } = args;
  const actor = actorOf(body);
  // A button names an instance by id, never by a name that might equal another machine's id.
  const result = await run(actor, { id: buttonValue(args) });
  if (fromHome(body)) {
    const notice = result.ok ? describe(result.value) : `:warning: ${result.error.message}`;
    await publishHome({ client, deps, actor, page: homePageOf(body.view?.private_metadata), notice });
  } else if (result.ok) {
    await respond({ replace_original: true, ...noticeOutcome(describe(result.value)) });
  } else {
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      ...errorReply(deps, actor, result.error),
    });
  }
  return result;
}
