import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { BotDeps } from '../../deps.ts';
import { dispatchCommand } from '../../subcommands/dispatch.ts';
import { commandActor } from '../actor.ts';

/** `/tispace …`: ack at once (empty), then do the work and answer through response_url. */
export const tispaceCommand =
  (deps: BotDeps) =>
  async ({
    ack,
    command,
    respond,
    client,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    await dispatchCommand({
      text: command.text ?? '',
      actor: commandActor(command),
      triggerId: command.trigger_id,
      client,
      deps,
      reply: async (content) => {
        await respond({ response_type: 'ephemeral', ...content });
      },
    });
  };
