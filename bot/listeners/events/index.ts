import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import { EVENTS } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { instrument } from '../instrument.ts';
import { appHomeOpened } from './app-home-opened.ts';
import { userChange } from './user-change.ts';

/** Every event the app subscribes to (the manifest declares the same set). */
export const eventIds = [EVENTS.appHomeOpened, EVENTS.userChange] as const;

type EventId = (typeof eventIds)[number];
type Handler<E extends EventId> = (args: SlackEventMiddlewareArgs<E> & AllMiddlewareArgs) => Promise<void>;

export function registerEvents(app: App, deps: BotDeps): void {
  const handlers = {
    [EVENTS.appHomeOpened]: appHomeOpened(deps),
    [EVENTS.userChange]: userChange(deps),
  } satisfies { [E in EventId]: Handler<E> };
  for (const id of eventIds)
    app.event(id, instrument(deps, 'event', id, handlers[id] as Handler<EventId>) as Handler<EventId>);
}
