import type { App } from '@slack/bolt';
import { COMMAND } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { instrument } from '../instrument.ts';
import { tispaceCommand } from './tispace.ts';

/** Every slash command the app handles (the manifest declares the same set). */
export const commandIds = [COMMAND] as const;

export function registerCommands(app: App, deps: BotDeps): void {
  const handlers = { [COMMAND]: tispaceCommand(deps) } satisfies Record<(typeof commandIds)[number], unknown>;
  for (const [id, handler] of Object.entries(handlers))
    app.command(id, instrument(deps, 'command', id, handler));
}
