// The web front end: server-rendered pages (work without JavaScript), live updates over SSE, and the REST
// API — served by the same HTTP server as the Slack receiver (web.routes is one catch-all Bolt custom
// route) or, in `npm run dev` without Slack, by a plain node:http server (web.handle).
// Over 300 lines: the request pipeline (static files, sign-in, session, CSRF, body, render) is one
// sequence, read top to bottom; the pages and the routes themselves live in pages/ and routes/.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import type { GoogleSettings } from '../bot/config/env.ts';
import { type Clock, type Provisioner, systemClock } from '../provisioner/api.ts';
import { openApiDocument } from './api/openapi.ts';
import { apiAuthenticate, apiRoutes } from './api/routes.ts';
import { googleSignIn, WEB_CALLBACK_PATH, WEB_START_PATH } from './auth/google-sign-in.ts';
import { csrfMatches, SessionCookies } from './auth/session.ts';
import type { Html } from './http/html.ts';
import { BodyError, cookies, isLoopbackAddress, isLoopbackHost, readBody } from './http/request.ts';
import { redirect, SECURITY_HEADERS, sendHtml, sendJson } from './http/respond.ts';
import { type Handler, Router } from './http/router.ts';
import { eventsRoute } from './live/events-route.ts';
import { LiveHub } from './live/live-hub.ts';
import { messagePage, signInPage } from './pages/account.ts';
import { page, type Viewer } from './pages/layout.ts';
import { accountRoutes } from './routes/account.ts';
import { adminRoutes } from './routes/admin.ts';
import type { Ctx, PageHandler } from './routes/context.ts';
import { type GatewaySessionSink, gatewayRoutes } from './routes/gateway.ts';
import { machineRoutes } from './routes/machines.ts';

export interface WebOptions {
  provisioner: Pick<Provisioner, 'api' | 'web' | 'events' | 'gateway'>;
  log: Logger;
  /** Where browsers reach TiSpace (PUBLIC_URL). */
  publicUrl: string;
  /** Google sign-in; absent = only the dev link (in dev mode). */
  google?: GoogleSettings | undefined;
  /**
   * `npm run dev` only: the address the server binds. On loopback, a one-time sign-in link for a local
   * admin is minted (devSignInUrl) and cookies may go without Secure over plain HTTP.
   */
  dev?: { host: string; adminEmail: string } | undefined;
  clock?: Clock;
  /** The SSH gateway's calls (web/routes/gateway.ts); absent = no gateway routes. */
  gateway?: { token: string; sessions?: GatewaySessionSink | undefined } | undefined;
}

export interface Web {
  /** Serves a request (404 for paths the web does not know). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** For Bolt's receivers: one catch-all custom route (Slack's own endpoint is matched before it). */
  routes: CustomRoute[];
  /** Plug into the provisioner (with Slack's notifier through fanOutNotifier). */
  live: LiveHub;
  /** Dev mode on loopback: the one-time sign-in link. */
  devSignInUrl: string | undefined;
  /** Every route, for the OpenAPI test and the docs. */
  patterns: { method: string; pattern: string }[];
  /** The OpenAPI document of /api/v1 (also served at /api/v1/openapi.json). */
  openApi: Record<string, unknown>;
  close(): void;
}

/** Static assets, served outside the router (an Ingress must route them too). */
export const STATIC: Record<string, { type: string; file: string }> = {
  '/static/app.css': { type: 'text/css; charset=utf-8', file: 'static/app.css' },
  '/static/app.js': { type: 'text/javascript; charset=utf-8', file: 'static/app.js' },
};

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const DEV_SIGN_IN_PATH = '/auth/dev';
/** The local admin the dev link signs in (web/dev/config.yaml lists it among the admins). */
export const DEV_ADMIN_EMAIL = 'admin@tispace.localhost';

export function createWeb(o: WebOptions): Web {
  const { provisioner, log } = o;
  const clock = o.clock ?? systemClock;
  const publicUrl = o.publicUrl.replace(/\/+$/, '');
  const devLoopback = !!o.dev && isLoopbackHost(o.dev.host);
  // Plain HTTP cookies only for `npm run dev` on loopback; everywhere else Secure (and __Host-).
  const secure = !(devLoopback && publicUrl.startsWith('http://'));
  const sessions = new SessionCookies(provisioner.web, provisioner.api, secure);
  const live = new LiveHub();
  const router = new Router();
  const assets = Object.fromEntries(
    Object.entries(STATIC).map(([path, s]) => [
      path,
      { type: s.type, body: readFileSync(new URL(s.file, import.meta.url)) },
    ]),
  );

  let devToken = devLoopback ? randomBytes(32).toString('base64url') : undefined;
  const devSignInUrl = devToken ? `${publicUrl}${DEV_SIGN_IN_PATH}?token=${devToken}` : undefined;

  // A sign-in always starts a new session; a session cookie the browser already had is ended (rotation).
  const signedIn = (req: IncomingMessage, res: ServerResponse, userId: string) => {
    const previous = cookies(req).get(sessions.name);
    if (previous) provisioner.web.endSession(previous);
    const s = provisioner.web.openSession(userId);
    res.appendHeader('set-cookie', sessions.set(s.token, s.expiresAt));
    redirect(res, '/');
  };

  const showPage = (res: ServerResponse, status: number, title: string, body: Html, viewer?: Viewer) =>
    sendHtml(res, status, page({ title, body, ...(viewer ? { viewer } : {}) }));

  const google = o.google
    ? googleSignIn({
        ...o.google,
        provisioner,
        log: log.child({ component: 'web-sign-in' }),
        secureCookies: secure,
        signedIn,
        refuse: (res, status, message) =>
          showPage(res, status, 'Not signed in', signInPage({ google: true, dev: false, message })),
      })
    : undefined;

  const isApi = (req: IncomingMessage) => (req.url ?? '').startsWith('/api/');

  /** A page route: needs a session; state-changing methods need the CSRF token too. */
  const pageRoute =
    (handler: PageHandler): Handler =>
    async (req, res, params) => {
      const read = sessions.read(req);
      if (!read.ok) {
        if (req.method === 'GET' || req.method === 'HEAD') {
          const why = read.problem === 'expired' ? '?expired=1' : '';
          return redirect(
            res,
            `/sign-in${why}`,
            read.problem === 'none' ? {} : { 'set-cookie': sessions.clear() },
          );
        }
        return showPage(
          res,
          401,
          'Signed out',
          messagePage(
            'You are signed out',
            'Sign in again, then repeat what you were doing. Nothing was changed.',
          ),
        );
      }
      const session = read.session;
      let body: Record<string, unknown> = {};
      if (STATE_CHANGING.has(req.method ?? '')) {
        body = await readBody(req);
        const submitted = body._csrf ?? req.headers['x-csrf-token'];
        if (!csrfMatches(session, submitted))
          return showPage(
            res,
            403,
            'Refused',
            messagePage(
              'Request refused',
              'This form is out of date or did not come from TiSpace (CSRF check). Reload the page and try again. Nothing was changed.',
            ),
          );
      }
      const viewer: Viewer = { email: session.email, isAdmin: session.isAdmin, csrf: session.csrf };
      const ctx: Ctx = {
        req,
        res,
        params,
        session,
        viewer,
        actor: { userId: session.userId },
        body,
        now: clock.now(),
        render: (title, current, content, status = 200, flash = []) =>
          sendHtml(res, status, page({ title, viewer, current, flash, body: content })),
        notFound: () =>
          showPage(
            res,
            404,
            'Not found',
            messagePage('Not found', 'There is nothing here, or it is not yours.'),
            viewer,
          ),
      };
      await handler(ctx);
    };

  // ---- sign-in and sign-out -----------------------------------------------------------------
  router.on('GET', '/sign-in', (req, res) => {
    const expired = new URL(req.url ?? '/', 'http://x').searchParams.has('expired');
    showPage(
      res,
      200,
      'Sign in',
      signInPage({
        google: !!google,
        dev: !!o.dev,
        ...(expired ? { message: 'Your session has expired. Sign in again.' } : {}),
      }),
    );
  });
  if (google) {
    router.on('GET', WEB_START_PATH, (req, res) => google.start(req, res));
    router.on('GET', WEB_CALLBACK_PATH, (req, res) => google.callback(req, res));
  }
  router.on('GET', DEV_SIGN_IN_PATH, (req, res) => {
    const refuse = (status: number, text: string) => {
      log.warn({ remote: req.socket.remoteAddress, status }, 'dev sign-in link refused');
      showPage(res, status, 'Not signed in', signInPage({ google: !!google, dev: !!o.dev, message: text }));
    };
    if (!o.dev)
      return refuse(404, 'The one-time sign-in link exists only in development mode (npm run dev).');
    if (!devLoopback || !isLoopbackAddress(req.socket.remoteAddress))
      return refuse(
        403,
        'The one-time sign-in link works only when TiSpace listens on loopback and is opened from this machine.',
      );
    const given = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(devToken ?? '');
    if (!devToken || a.length !== b.length || !timingSafeEqual(a, b))
      return refuse(
        403,
        'This sign-in link is not valid or was already used. Restart npm run dev for a new one.',
      );
    devToken = undefined;
    const user = provisioner.web.signIn({ sub: 'dev-local-admin', email: o.dev.adminEmail });
    if (!user.ok) return refuse(403, user.error.message);
    log.info({ email: o.dev.adminEmail }, 'signed in with the one-time dev link');
    signedIn(req, res, user.value.userId);
  });
  router.on(
    'POST',
    '/sign-out',
    pageRoute(({ res, session }) => {
      provisioner.web.endSession(session.token);
      redirect(res, '/sign-in', { 'set-cookie': sessions.clear() });
    }),
  );
  router.on(
    'POST',
    '/sign-out-everywhere',
    pageRoute(({ res, session }) => {
      const n = provisioner.web.endAllSessions(session.userId);
      log.info({ userId: session.userId, sessions: n }, 'signed out everywhere');
      redirect(res, '/sign-in', { 'set-cookie': sessions.clear() });
    }),
  );

  machineRoutes(router, pageRoute, { provisioner });
  accountRoutes(router, pageRoute, { provisioner });
  adminRoutes(router, pageRoute, { provisioner });
  const api = apiRoutes({ provisioner, sessions, clock, log, router });
  eventsRoute(router, { provisioner, live, clock, authenticate: apiAuthenticate({ provisioner, sessions }) });
  if (o.gateway)
    gatewayRoutes({
      router,
      gateway: provisioner.gateway,
      sessions: o.gateway.sessions,
      token: o.gateway.token,
      log: log.child({ component: 'gateway-api' }),
    });
  const openApi = openApiDocument(api, publicUrl);
  router.on('GET', '/api/v1/openapi.json', (_req, res) => sendJson(res, 200, openApi));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const asset = assets[path];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': asset.type,
        'cache-control': 'no-cache',
        'content-length': String(asset.body.length),
      });
      res.end(method === 'HEAD' ? undefined : asset.body);
      return;
    }
    const match = router.match(method, path);
    if (!match || match === 'method') {
      const status = match ? 405 : 404;
      if (isApi(req)) {
        sendJson(res, status, {
          error: {
            code: status === 404 ? 'NotFound' : 'MethodNotAllowed',
            message: status === 404 ? `no route ${path}` : `${method} is not allowed on ${path}`,
          },
        });
        return;
      }
      showPage(
        res,
        status,
        'Not found',
        messagePage(
          status === 404 ? 'Not found' : 'Not allowed',
          status === 404 ? 'There is nothing here.' : `${method} is not allowed here.`,
        ),
      );
      return;
    }
    // A handler that throws synchronously is caught here too: no request may take the process down.
    Promise.resolve()
      .then(() => match.handler(req, res, match.params))
      .catch((error: unknown) => {
        if (error instanceof BodyError) {
          if (isApi(req))
            return sendJson(res, error.status, { error: { code: 'InvalidInput', message: error.message } });
          return showPage(res, error.status, 'Refused', messagePage('Request refused', error.message));
        }
        log.error({ err: error, path, method }, 'web request failed');
        if (res.headersSent) return void res.end();
        if (isApi(req))
          return sendJson(res, 500, {
            error: { code: 'Internal', message: 'something went wrong on TiSpace’s side (it was logged)' },
          });
        showPage(
          res,
          500,
          'Error',
          messagePage('Something went wrong', 'It was logged. Please try again in a minute.'),
        );
      });
  };

  return {
    handle,
    routes: [
      { path: '/{*path}', method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], handler: handle },
    ],
    live,
    devSignInUrl,
    patterns: router.patterns,
    openApi,
    close: () => live.close(),
  };
}
