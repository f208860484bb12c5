import { formatDuration } from '../../../provisioner/api.ts';
import { EXTEND_BY_PATTERN } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { errorReply } from '../../replies.ts';
import {
  deleteConfirmMessage,
  deletingText,
  extendedText,
  sshMessage,
  startingText,
  stoppingText,
} from '../../views/instance-messages.ts';
import { messageModal } from '../../views/message-modal.ts';
import { actorOf } from '../actor.ts';
import { type BlockActionArgs, buttonValue, runInstanceAction } from './action-context.ts';

const grace = (deps: BotDeps) => formatDuration(deps.api.config.policy.snapshotGrace);

export const stopAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  await runInstanceAction(args, deps, (actor, id) => deps.api.stop(actor, id), stoppingText);
};

export const startAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  const result = await runInstanceAction(args, deps, (actor, id) => deps.api.start(actor, id), startingText);
  if (result.ok) await deps.notifier.trackProgress(result.value);
};

/** `instance_extend:<duration>`: the amount is in the action_id, the instance id in the value. */
export const extendAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  const by = EXTEND_BY_PATTERN.exec(args.action.action_id)?.[1];
  await runInstanceAction(
    args,
    deps,
    (actor, id) => deps.api.extend(actor, id, by),
    (i) => extendedText(i, by ?? formatDuration(deps.api.config.policy.defaultLease)),
  );
};

/** From a reminder: replaces it with the delete confirmation. */
export const deleteAskAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  const actor = actorOf(args.body);
  const found = deps.api.get(actor, { id: buttonValue(args) });
  if (!found.ok)
    return void (await args.respond({
      response_type: 'ephemeral',
      replace_original: false,
      ...errorReply(deps, actor, found.error),
    }));
  await args.respond({ replace_original: true, ...deleteConfirmMessage(found.value, grace(deps)) });
};

export const deleteConfirmAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  await runInstanceAction(
    args,
    deps,
    (actor, id) => deps.api.delete(actor, id),
    (i) => deletingText(i, grace(deps)),
  );
};

export const deleteCancelAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  await runInstanceAction(
    args,
    deps,
    (actor, id) => deps.api.get(actor, id),
    (i) => `Kept *${i.name}*; nothing was deleted.`,
  );
};

export const stillUsingAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  await runInstanceAction(
    args,
    deps,
    (actor, id) => deps.api.markActive(actor, id),
    (i) => `:thumbsup: Got it — *${i.name}* stays up; idle detection starts over.`,
  );
};

/** SSH details in a modal (works from the Home tab, where there is no message to reply to). */
export const sshInfoAction = (deps: BotDeps) => async (args: BlockActionArgs) => {
  await args.ack();
  const actor = actorOf(args.body);
  const found = deps.api.get(actor, { id: buttonValue(args) });
  const text = found.ok ? sshMessage(found.value).text : errorReply(deps, actor, found.error).text;
  await args.client.views.open({
    trigger_id: args.body.trigger_id,
    view: messageModal({ title: found.ok ? found.value.name : 'SSH', text }),
  });
};
