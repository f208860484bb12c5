import type { App, BlockAction } from '@slack/bolt';
import { ACTIONS, EXTEND_BY_PATTERN } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { instrument } from '../instrument.ts';
import type { BlockActionArgs } from './action-context.ts';
import { acknowledgeOnly, homePageAction, openCreateAction } from './home-actions.ts';
import {
  deleteAskAction,
  deleteCancelAction,
  deleteConfirmAction,
  extendAction,
  sshInfoAction,
  startAction,
  stillUsingAction,
  stopAction,
} from './instance-actions.ts';
import { unknownAction } from './unknown-action.ts';

type Handler = (args: BlockActionArgs) => Promise<void>;

/** Every action_id (or pattern) the app handles, and its handler. */
function actionHandlers(deps: BotDeps): [string | RegExp, Handler][] {
  return [
    [ACTIONS.linkGoogle, acknowledgeOnly()],
    [ACTIONS.openCreate, openCreateAction(deps)],
    [ACTIONS.sshInfo, sshInfoAction(deps)],
    [EXTEND_BY_PATTERN, extendAction(deps)],
    [ACTIONS.stop, stopAction(deps)],
    [ACTIONS.start, startAction(deps)],
    [ACTIONS.deleteAsk, deleteAskAction(deps)],
    [ACTIONS.deleteConfirm, deleteConfirmAction(deps)],
    [ACTIONS.deleteCancel, deleteCancelAction(deps)],
    [ACTIONS.stillUsing, stillUsingAction(deps)],
    [ACTIONS.homePrev, homePageAction(deps)],
    [ACTIONS.homeNext, homePageAction(deps)],
  ];
}

/**
 * One Bolt listener for every block action, dispatching through the table above. Bolt runs every
 * registered listener's matching middleware on every request; a listener per action_id made each
 * request (commands included) pay for all of them.
 */
export function registerActions(app: App, deps: BotDeps): void {
  const table = actionHandlers(deps).map(
    ([id, handler]) => [id, instrument(deps, 'action', String(id), handler)] as const,
  );
  // Anything else gets a polite answer instead of Slack's timeout error.
  const unknown = instrument(deps, 'action', 'unknown', unknownAction(deps));
  app.action<BlockAction>({ type: 'block_actions' }, async (args) => {
    const id = args.action.action_id;
    const found = table.find(([k]) => (typeof k === 'string' ? k === id : k.test(id)));
    await (found ? found[1] : unknown)(args);
  });
}
