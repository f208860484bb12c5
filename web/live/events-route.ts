// GET /api/v1/events: the live stream of the caller's machines (Server-Sent Events). The web UI's script
// listens to it; so can a script with a token (machines:read). Each event carries the machine as
// GET /api/v1/machines/{id} returns it, and, for a browser session, its card's markup as the page renders
// it (so the page needs no client-side templates). Authorization is re-checked per event (LiveHub).
import type { Clock, Provisioner } from '../../provisioner/api.ts';
import type { ApiAuthenticate } from '../api/routes.ts';
import { machineJson } from '../api/routes.ts';
import { sendJson } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { machineCard } from '../pages/machines.ts';
import type { LiveHub } from './live-hub.ts';

export const EVENTS_PATH = '/api/v1/events';

export function eventsRoute(
  router: Router,
  d: {
    provisioner: Pick<Provisioner, 'api' | 'web'>;
    live: LiveHub;
    clock: Clock;
    authenticate: ApiAuthenticate;
  },
): void {
  const { api, web } = d.provisioner;
  router.on('GET', EVENTS_PATH, (req, res) => {
    const who = d.authenticate(req);
    if (!who.ok) return sendJson(res, 401, { error: who.error });
    const { caller, session } = who;
    if (!caller.scopes.includes('machines:read'))
      return sendJson(res, 403, {
        error: { code: 'InsufficientScope', message: 'the event stream needs the machines:read scope' },
      });
    const actor = { userId: caller.userId };
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    d.live.subscribe({
      userId: caller.userId,
      // An admin's session, or a token with the admin scope, hears of everyone's machines.
      isAdmin: caller.scopes.includes('admin'),
      res,
      alive: () => (session ? web.session(session.token).ok : !!token && web.authenticateToken(token).ok),
      initial: () => {
        const mine = api.list(actor);
        return mine.ok ? mine.value : [];
      },
      render: (instance) => {
        const found = api.get(actor, { id: instance.id });
        if (!found.ok) return undefined;
        const i = found.value;
        return {
          machine: machineJson(i),
          ...(session
            ? {
                html: machineCard(
                  i,
                  { email: session.email, isAdmin: session.isAdmin, csrf: session.csrf },
                  d.clock.now(),
                  session.isAdmin && i.ownerId !== session.userId,
                ).text,
              }
            : {}),
        };
      },
    });
  });
}
