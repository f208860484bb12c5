import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Instance, Result } from '../../../provisioner/api.ts';
import type { BotDeps } from '../../deps.ts';
import { errorReply } from '../../replies.ts';
import { blockForField, readCreateForm } from '../../subcommands/read-create-form.ts';
import { actorOf } from '../actor.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Slack waits 3 s for the answer to a submission; inline errors must come before that. */
const INLINE_BUDGET_MS = 2000;

const SLOW = Symbol('slow');

/**
 * The create form was submitted. Form problems and the provisioner's refusals (name taken, quota, capacity)
 * are shown inline; on success the modal closes and a DM follows the machine until it is ready. When the
 * provisioner is too slow to answer within the budget, the modal closes and the outcome arrives by DM.
 */
export const createSubmission =
  (deps: BotDeps) =>
  async ({ ack, body, view, client }: Args): Promise<void> => {
    const actor = actorOf(body);
    const form = readCreateForm(view.state.values as Parameters<typeof readCreateForm>[0]);
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors as Record<string, string> });
    const custom = form.request.cpu !== undefined;
    const pending = deps.api.create(actor, form.request);
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<typeof SLOW>((resolve) => {
      timer = setTimeout(() => resolve(SLOW), INLINE_BUDGET_MS);
    });
    const first = await Promise.race([pending, slow]);
    clearTimeout(timer);
    if (first !== SLOW && !first.ok && first.error.code !== 'NotLinked') {
      return ack({
        response_action: 'errors',
        errors: { [blockForField(first.error.field, custom)]: first.error.message },
      });
    }
    await ack();
    const result: Result<Instance> = first === SLOW ? await pending : first;
    if (result.ok) return deps.notifier.trackProgress(result.value);
    // Too late for inline errors (or not a form problem): tell the user by DM.
    const opened = await client.conversations.open({ users: actor.userId });
    await client.chat.postMessage({
      channel: opened.channel!.id!,
      ...errorReply(deps, actor, {
        ...result.error,
        message: `Could not create ${form.request.name}: ${result.error.message}`,
      }),
    });
  };
