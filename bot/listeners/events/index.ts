import type { App } from '@slack/bolt';
import { EVENTS } from '../../constants.ts';
import type { BotDeps } from '../../deps.ts';
import { instrument } from '../instrument.ts';
import { appHomeOpened } from './app-home-opened.ts';
import { userChange } from './user-change.ts';

/** Every event the app subscribes to (the manifest declares the same set). */
export const eventIds = [EVENTS.appHomeOpened, EVENTS.userChange] as const;

export function registerEvents(app: App, deps: BotDeps): void {
  app.event(EVENTS.appHomeOpened, instrument(deps, 'event', EVENTS.appHomeOpened, appHomeOpened(deps)));
  app.event(EVENTS.userChange, instrument(deps, 'event', EVENTS.userChange, userChange(deps)));
}
