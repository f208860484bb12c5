// What every page route gets, and the two ways a page route answers a refusal. Kept apart from app.ts
// so the routes do not import the module that imports them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Result } from '../../provisioner/api.ts';
import type { SignedIn } from '../auth/session.ts';
import type { Html } from '../http/html.ts';
import type { Handler, Params } from '../http/router.ts';
import { messagePage } from '../pages/account.ts';
import type { Flash, Viewer } from '../pages/layout.ts';

/** Everything a route handler gets. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Params;
  session: SignedIn;
  viewer: Viewer;
  actor: { userId: string };
  body: Record<string, unknown>;
  now: Date;
  render(title: string, current: string, body: Html, status?: number, flash?: Flash[]): void;
  notFound(): void;
}

export type PageHandler = (ctx: Ctx) => Promise<void> | void;

/** Turns a page handler into a router handler (session, CSRF, body): app.ts provides it. */
export type Wrap = (h: PageHandler) => Handler;

/**
 * Renders the page of what was read, or the refusal (e.g. a deactivated account) as a 403 page titled
 * "Cannot show your <what>".
 */
export function renderRead<T>(
  ctx: Ctx,
  page: { title: string; current: string; what: string },
  read: Result<T>,
  body: (value: T) => Html,
): void {
  if (read.ok) ctx.render(page.title, page.current, body(read.value));
  else
    ctx.render(
      page.title,
      page.current,
      messagePage(`Cannot show your ${page.what}`, read.error.message),
      403,
    );
}
