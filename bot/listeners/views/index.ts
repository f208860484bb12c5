import type { App } from '@slack/bolt';
import { CALLBACKS } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { instrument } from '../instrument.ts';
import { createSubmission } from './create-submission.ts';

/** Every view callback_id the app handles submissions of. */
const viewIds = [CALLBACKS.createModal] as const;

export function registerViews(app: App, deps: BotDeps): void {
  const handlers = { [CALLBACKS.createModal]: createSubmission(deps) } satisfies Record<
    (typeof viewIds)[number],
    unknown
  >;
  for (const [id, handler] of Object.entries(handlers))
    app.view({ callback_id: id, type: 'view_submission' }, instrument(deps, 'view', id, handler));
}
