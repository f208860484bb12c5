// REST /api/v1: the same provisioner API as Slack and the pages. Authentication: a personal API token
// (Authorization: Bearer tsp_…, limited to its scopes) or the browser session (then state-changing calls
// need the x-csrf-token header). Authorization (owner or admin) is the provisioner's, on every call.
// Errors are data: { error: { code, field?, message } }.
// Over 300 lines on purpose: apiRouteTable is one table of every route (path, scopes, schemas, handler),
// which the OpenAPI document is generated from; split, the table would no longer be read as one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { sshConfigFile, vscodeLink } from '../../bot/views/ssh-access.ts';
import {
  type ApiScope,
  type Clock,
  type Provisioner,
  type Result,
  type StoredInstance,
  sshAlias,
  sshCommand,
  sshConfigBlock,
  type UserError,
} from '../../provisioner/api.ts';
import { csrfMatches, type SessionCookies } from '../auth/session.ts';
import { readBody } from '../http/request.ts';
import { sendJson, sendText } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import * as S from './schemas.ts';

export interface ApiDeps {
  provisioner: Pick<Provisioner, 'api' | 'web' | 'events'>;
  sessions: SessionCookies;
  clock: Clock;
  log: Logger;
  router: Router;
}

export interface Caller {
  userId: string;
  scopes: readonly string[];
}

/** One API route: what the OpenAPI document says about it and what serves it. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI path, e.g. /api/v1/machines/{id}. */
  path: string;
  summary: string;
  /** Needed scope; undefined = public. */
  scope?: ApiScope;
  body?: z.ZodType;
  response: z.ZodType;
  /** The success body's type: JSON unless said otherwise (errors are always JSON). */
  produces?: 'text/plain';
  status?: number;
  query?: string[];
  handle(c: {
    caller: Caller;
    params: Record<string, string>;
    body: Record<string, unknown>;
    query: URLSearchParams;
  }): Result<unknown> | Promise<Result<unknown>>;
}

const STATUS: Record<string, number> = {
  InvalidInput: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  InsufficientScope: 403,
  NotLinked: 403,
  Deactivated: 403,
  NotFound: 404,
  Conflict: 409,
  InvalidState: 409,
  QuotaExceeded: 409,
  NoCapacity: 409,
  NoSshKey: 409,
};

const ALL_BUT_ADMIN: ApiScope[] = ['machines:read', 'machines:write', 'keys:read', 'keys:write'];

/** A machine's SSH access as the API returns it: the same texts Slack and the pages show. */
const sshJson = (i: StoredInstance): z.output<typeof S.MachineSsh> => {
  const config = sshConfigBlock(i);
  return {
    command: sshCommand(i),
    alias: config ? sshAlias(i) : null,
    hostName: i.sshHost,
    jump: i.sshJump,
    hostKeys: i.hostKeys.map(({ type, fingerprint }) => ({ type, fingerprint })),
    vscodeUri: vscodeLink(i),
    config,
  };
};

/** A machine as the API returns it (also the `machine` of each live event). */
export const machineJson = (i: StoredInstance): z.output<typeof S.Machine> => ({
  id: i.id,
  name: i.name,
  owner: i.ownerId,
  ownerEmail: i.ownerEmail,
  image: i.image,
  cpu: i.cpu,
  memoryGiB: i.memoryGiB,
  diskGiB: i.diskGiB,
  desired: i.desired,
  phase: i.phase,
  conditions: i.conditions,
  node: i.node,
  ssh: sshJson(i),
  createdAt: i.createdAt,
  readyAt: i.readyAt,
  leaseEndsAt: i.leaseEndsAt,
});

const map = <T, U>(r: Result<T>, f: (v: T) => U): Result<U> => (r.ok ? { ok: true, value: f(r.value) } : r);

export function apiRouteTable(d: Pick<ApiDeps, 'provisioner'>): ApiRoute[] {
  const { api, web, events } = d.provisioner;
  const actor = (c: Caller) => ({ userId: c.userId });
  return [
    {
      method: 'GET',
      path: '/api/v1/me',
      summary: 'Who the caller is and what the credentials allow',
      scope: 'machines:read',
      response: S.Whoami,
      handle: ({ caller }) => {
        const w = api.whoami(actor(caller));
        return {
          ok: true,
          value: {
            userId: caller.userId,
            email: w.user?.email ?? '',
            isAdmin: w.isAdmin,
            scopes: [...caller.scopes],
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/machines',
      summary: 'Your machines',
      scope: 'machines:read',
      response: S.MachineList,
      handle: ({ caller }) => map(api.list(actor(caller)), (l) => ({ machines: l.map(machineJson) })),
    },
    {
      method: 'GET',
      path: '/api/v1/ssh-config',
      summary:
        'The ~/.ssh/config block of all your machines (text/plain; e.g. curl … > ~/.ssh/config.d/tispace)',
      scope: 'machines:read',
      response: S.SshConfig,
      produces: 'text/plain',
      // The caller's own machines only, admins included: it is their config file.
      handle: ({ caller }) => map(api.list(actor(caller)), sshConfigFile),
    },
    {
      method: 'POST',
      path: '/api/v1/machines',
      summary: 'Create a machine (checked against the catalog, your quota and the cluster’s capacity)',
      scope: 'machines:write',
      body: S.CreateMachine,
      response: S.Machine,
      status: 201,
      handle: async ({ caller, body }) =>
        map(await api.create(actor(caller), body as z.output<typeof S.CreateMachine>), (i) =>
          machineJson(i as StoredInstance),
        ),
    },
    {
      method: 'GET',
      path: '/api/v1/machines/{id}',
      summary: 'One machine (yours, or any for admins)',
      scope: 'machines:read',
      response: S.Machine,
      handle: ({ caller, params }) => map(api.get(actor(caller), { id: params.id! }), machineJson),
    },
    {
      method: 'GET',
      path: '/api/v1/machines/{id}/events',
      summary: 'Recent Kubernetes Events of the machine’s Pod, disk and snapshot, newest first',
      scope: 'machines:read',
      response: S.MachineEvents,
      handle: ({ caller, params }) => events.recent(actor(caller), { id: params.id! }),
    },
    {
      method: 'POST',
      path: '/api/v1/machines/{id}/start',
      summary: 'Start a stopped machine',
      scope: 'machines:write',
      response: S.Machine,
      handle: async ({ caller, params }) =>
        map(await api.start(actor(caller), { id: params.id! }), machineJson),
    },
    {
      method: 'POST',
      path: '/api/v1/machines/{id}/stop',
      summary: 'Stop a machine (its disk is kept)',
      scope: 'machines:write',
      response: S.Machine,
      handle: ({ caller, params }) => map(api.stop(actor(caller), { id: params.id! }), machineJson),
    },
    {
      method: 'POST',
      path: '/api/v1/machines/{id}/extend',
      summary: 'Extend the lease',
      scope: 'machines:write',
      body: S.Extend,
      response: S.Machine,
      handle: ({ caller, params, body }) =>
        map(
          api.extend(actor(caller), { id: params.id! }, (body as z.output<typeof S.Extend>).by),
          machineJson,
        ),
    },
    {
      method: 'DELETE',
      path: '/api/v1/machines/{id}',
      summary: 'Delete a machine (a snapshot is taken first; restorable for the grace period)',
      scope: 'machines:write',
      response: S.Machine,
      handle: ({ caller, params }) => map(api.delete(actor(caller), { id: params.id! }), machineJson),
    },
    {
      method: 'POST',
      path: '/api/v1/machines/restore',
      summary: 'Restore a deleted machine from its final snapshot',
      scope: 'machines:write',
      body: S.Restore,
      response: S.Machine,
      handle: async ({ caller, body }) =>
        map(await api.restore(actor(caller), (body as z.output<typeof S.Restore>).name), machineJson),
    },
    {
      method: 'GET',
      path: '/api/v1/keys',
      summary: 'Your SSH public keys',
      scope: 'keys:read',
      response: S.SshKeyList,
      handle: ({ caller }) =>
        map(api.listKeys(actor(caller)), (keys) => ({
          keys: keys.map(({ id, type, fingerprint, comment, createdAt }) => ({
            id,
            type,
            fingerprint,
            comment,
            createdAt,
          })),
        })),
    },
    {
      method: 'POST',
      path: '/api/v1/keys',
      summary: 'Add an SSH public key',
      scope: 'keys:write',
      body: S.AddKey,
      response: S.SshKey,
      status: 201,
      handle: ({ caller, body }) =>
        map(
          api.addKey(actor(caller), (body as z.output<typeof S.AddKey>).key),
          ({ id, type, fingerprint, comment, createdAt }) => ({ id, type, fingerprint, comment, createdAt }),
        ),
    },
    {
      method: 'DELETE',
      path: '/api/v1/keys/{id}',
      summary: 'Remove an SSH key',
      scope: 'keys:write',
      response: S.SshKey,
      handle: ({ caller, params }) =>
        map(api.removeKey(actor(caller), params.id!), ({ id, type, fingerprint, comment, createdAt }) => ({
          id,
          type,
          fingerprint,
          comment,
          createdAt,
        })),
    },
    {
      method: 'GET',
      path: '/api/v1/quota',
      summary: 'Your quota and what you use',
      scope: 'machines:read',
      response: S.Quota,
      handle: ({ caller }) => api.usage(actor(caller)),
    },
    {
      method: 'GET',
      path: '/api/v1/images',
      summary: 'Images and size presets',
      scope: 'machines:read',
      response: S.ImageList,
      handle: () => ({
        ok: true,
        value: {
          images: api.images().map((i) => ({
            name: i.name,
            description: i.description,
            defaultDiskGiB: i.defaultDiskGiB,
            minDiskGiB: i.minDiskGiB,
          })),
          sizes: { ...api.sizes() },
        },
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/admin/machines',
      summary: 'Everyone’s machines (admins)',
      scope: 'admin',
      response: S.MachineList,
      handle: ({ caller }) =>
        map(api.list(actor(caller), { all: true }), (l) => ({ machines: l.map(machineJson) })),
    },
    {
      method: 'GET',
      path: '/api/v1/admin/capacity',
      summary: 'Free capacity per node (admins)',
      scope: 'admin',
      response: S.Capacity,
      handle: ({ caller }) =>
        map(api.capacity(actor(caller)), (nodes) => ({
          nodes: nodes.map((n) => ({
            node: n.node,
            freeCpu: n.cpuMilli / 1000,
            freeMemoryGiB: n.memoryBytes / 1024 ** 3,
            cpu: n.allocatable.cpuMilli / 1000,
            memoryGiB: n.allocatable.memoryBytes / 1024 ** 3,
          })),
        })),
    },
    {
      method: 'GET',
      path: '/api/v1/admin/audit',
      summary: 'Search the audit log (admins)',
      scope: 'admin',
      response: S.AuditList,
      query: ['actor', 'instance', 'action', 'since', 'until', 'limit'],
      handle: ({ caller, query }) => {
        const q = Object.fromEntries(
          ['actor', 'instance', 'action', 'since', 'until'].flatMap((k) =>
            query.get(k) ? [[k, query.get(k)!]] : [],
          ),
        );
        const limit = Number(query.get('limit') ?? 200);
        return map(
          web.searchAudit(caller.userId, { ...q, limit: Number.isFinite(limit) ? limit : 200 }),
          (entries) => ({
            entries: entries.map(({ id, at, actor: who, action, instanceId, reason }) => ({
              id,
              at,
              actor: who,
              action,
              instanceId,
              reason,
            })),
          }),
        );
      },
    },
  ];
}

const sendError = (res: ServerResponse, e: UserError | { code: string; message: string; field?: string }) =>
  sendJson(res, STATUS[e.code] ?? 400, {
    error: { code: e.code, ...(e.field ? { field: e.field } : {}), message: e.message },
  });

export type ApiAuthenticate = (
  req: IncomingMessage,
) =>
  | { ok: true; caller: Caller; session?: Parameters<typeof csrfMatches>[0] }
  | { ok: false; error: { code: string; message: string } };

/** Who is calling: a bearer token, or the browser session (which may do all but admin, unless an admin). */
function authenticate(
  d: Pick<ApiDeps, 'provisioner' | 'sessions'>,
  req: IncomingMessage,
): ReturnType<ApiAuthenticate> {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer (\S+)$/.exec(auth);
    if (!m)
      return { ok: false, error: { code: 'Unauthenticated', message: 'send Authorization: Bearer <token>' } };
    const t = d.provisioner.web.authenticateToken(m[1]!);
    if (!t.ok) return { ok: false, error: { code: 'Unauthenticated', message: t.error.message } };
    return { ok: true, caller: { userId: t.value.userId, scopes: t.value.scopes } };
  }
  const s = d.sessions.read(req);
  if (!s.ok)
    return {
      ok: false,
      error: {
        code: 'Unauthenticated',
        message: 'sign in, or send an API token (Authorization: Bearer <token>)',
      },
    };
  const scopes = s.session.isAdmin ? [...ALL_BUT_ADMIN, 'admin'] : ALL_BUT_ADMIN;
  return { ok: true, caller: { userId: s.session.userId, scopes }, session: s.session };
}

export const apiAuthenticate =
  (d: Pick<ApiDeps, 'provisioner' | 'sessions'>): ApiAuthenticate =>
  (req) =>
    authenticate(d, req);

export const toRouterPath = (openApiPath: string): string => openApiPath.replace(/\{(\w+)\}/g, ':$1');

export function apiRoutes(d: ApiDeps): ApiRoute[] {
  const table = apiRouteTable(d);
  for (const route of table)
    d.router.on(route.method, toRouterPath(route.path), async (req, res, params) => {
      const who = authenticate(d, req);
      if (!who.ok) return sendError(res, who.error);
      if (route.scope && !who.caller.scopes.includes(route.scope))
        return sendError(res, {
          code: 'InsufficientScope',
          message: `this call needs the ${route.scope} scope; the credentials have: ${who.caller.scopes.join(', ') || 'none'}`,
        });
      let body: Record<string, unknown> = {};
      if (route.method !== 'GET') {
        // A browser session may only change things with its CSRF token (API tokens are not sent by browsers).
        if (who.session && !csrfMatches(who.session, req.headers['x-csrf-token']))
          return sendError(res, { code: 'Forbidden', message: 'missing or wrong x-csrf-token header' });
        body = await readBody(req);
        if (route.body) {
          const parsed = route.body.safeParse(body);
          if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            const field = issue.path.length
              ? String(issue.path[0])
              : (issue as { keys?: string[] }).keys?.[0];
            return sendError(res, {
              code: 'InvalidInput',
              ...(field ? { field } : {}),
              message: `${field ? `${field}: ` : ''}${issue.message}`,
            });
          }
          body = parsed.data as Record<string, unknown>;
        }
      }
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const result = await route.handle({ caller: who.caller, params, body, query });
      if (!result.ok) return sendError(res, result.error);
      if (route.produces === 'text/plain') return sendText(res, route.status ?? 200, String(result.value));
      sendJson(res, route.status ?? 200, result.value);
    });
  return table;
}
