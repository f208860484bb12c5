// REST /api/v1 without a cluster: the OpenAPI document (checked by a real validator, every route in it),
// authentication, token scopes, CSRF for browser sessions, and errors as data.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { toRouterPath } from '../../../web/api/routes.ts';
import { DEV_ADMIN_EMAIL } from '../../../web/app.ts';
import { Browser, startWeb, type WebUnderTest } from './support.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A linked web user and a token of theirs with these scopes. */
function tokenFor(web: WebUnderTest, email: string, scopes: string[]): { userId: string; token: string } {
  const user = web.provisioner.web.signIn({ sub: `sub-${email}`, email });
  if (!user.ok) throw new Error(user.error.message);
  const t = web.provisioner.web.createToken(user.value.userId, { name: 'test', scopes, days: 1 });
  if (!t.ok) throw new Error(t.error.message);
  return { userId: user.value.userId, token: t.value.token };
}

const call = (web: WebUnderTest, token: string, method: string, path: string, body?: unknown) =>
  fetch(`${web.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3.1 document listing every /api/v1 route', async () => {
    w = await startWeb({});
    const res = await fetch(`${w.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${toRouterPath(p)}`),
      ),
    );
    const served = w.web.patterns
      .filter((r) => r.pattern.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.pattern}`);
    expect(served.length).toBeGreaterThan(15);
    for (const route of served) expect(documented, route).toContain(route);
    expect(documented.size).toBe(served.length);
  });
});

describe('authentication and scopes', () => {
  it('refuses calls without credentials or with an unknown, revoked or expired token (401, JSON error)', async () => {
    w = await startWeb({});
    const none = await fetch(`${w.url}/api/v1/machines`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: 'Unauthenticated', message: expect.stringContaining('API token') },
    });
    expect((await call(w, 'tsp_nope', 'GET', '/api/v1/machines')).status).toBe(401);
    const { userId, token } = tokenFor(w, 'ada@example.com', ['machines:read']);
    expect((await call(w, token, 'GET', '/api/v1/machines')).status).toBe(200);
    const id = w.provisioner.web.listTokens(userId)[0]!.id;
    w.provisioner.web.revokeToken(userId, id);
    const revoked = await call(w, token, 'GET', '/api/v1/machines');
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toContain('revoked');
    const other = tokenFor(w, 'bob@example.com', ['machines:read']);
    w.clock.advance(86_400_000 + 1);
    const expired = await call(w, other.token, 'GET', '/api/v1/machines');
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toContain('expired');
  });

  it('a token can do only what its scopes allow', async () => {
    w = await startWeb({});
    const reader = tokenFor(w, 'ada@example.com', ['machines:read', 'keys:read']);
    const add = await call(w, reader.token, 'POST', '/api/v1/keys', { key: KEY });
    expect(add.status).toBe(403);
    expect(await add.json()).toMatchObject({
      error: { code: 'InsufficientScope', message: expect.stringContaining('keys:write') },
    });
    expect(w.provisioner.api.listKeys({ userId: reader.userId })).toMatchObject({ ok: true, value: [] });
    expect((await call(w, reader.token, 'GET', '/api/v1/admin/machines')).status).toBe(403);
    const writer = tokenFor(w, 'ada@example.com', ['keys:write', 'keys:read']);
    expect((await call(w, writer.token, 'POST', '/api/v1/keys', { key: KEY })).status).toBe(201);
    expect((await call(w, writer.token, 'GET', '/api/v1/machines')).status).toBe(403);
  });

  it('only admins get tokens with the admin scope, and an admin token reads the audit log', async () => {
    w = await startWeb({});
    const ada = w.provisioner.web.signIn({ sub: 's-ada', email: 'ada@example.com' });
    expect(
      w.provisioner.web.createToken(ada.ok ? ada.value.userId : '', {
        name: 'x',
        scopes: ['admin'],
        days: 1,
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'Forbidden', field: 'scopes' },
    });
    const boss = tokenFor(w, 'boss@corp.com', ['admin']);
    const audit = await call(w, boss.token, 'GET', '/api/v1/admin/audit?action=identity-linked');
    expect(audit.status).toBe(200);
    const entries = ((await audit.json()) as { entries: { action: string }[] }).entries;
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(entries.map((e) => e.action))).toEqual(new Set(['identity-linked']));
  });

  it('a browser session may use the API, but changes need the x-csrf-token header', async () => {
    w = await startWeb({ dev: { host: '127.0.0.1', adminEmail: DEV_ADMIN_EMAIL } });
    const b = new Browser(w.url);
    await b.fetch(w.web.devSignInUrl!);
    expect((await b.fetch('/api/v1/machines')).status).toBe(200);
    const post = (headers: Record<string, string>) =>
      b.fetch('/api/v1/keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ key: KEY }),
      });
    const refused = await post({});
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: 'Forbidden', message: expect.stringContaining('x-csrf-token') },
    });
    expect((await post({ 'x-csrf-token': await b.csrf() })).status).toBe(201);
  });
});

describe('errors as data', () => {
  it('names the field: a malformed body, a bad name, an unknown key', async () => {
    w = await startWeb({});
    const { token } = tokenFor(w, 'ada@example.com', ['machines:write', 'keys:write']);
    const typo = await call(w, token, 'POST', '/api/v1/machines', { name: 'web1', cpus: 4 });
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ error: { code: 'InvalidInput', field: 'cpus' } });
    const wrongType = await call(w, token, 'POST', '/api/v1/machines', { name: 'web1', cpu: 'four' });
    expect(await wrongType.json()).toMatchObject({ error: { code: 'InvalidInput', field: 'cpu' } });
    const badName = await call(w, token, 'POST', '/api/v1/machines', { name: 'Web_1' });
    expect(badName.status).toBe(400);
    expect(await badName.json()).toMatchObject({
      error: { code: 'InvalidInput', field: 'name', message: expect.any(String) },
    });
    const notJson = await fetch(`${w.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: { code: 'InvalidInput', message: 'the request body is not valid JSON' },
    });
    const gone = await call(w, token, 'DELETE', '/api/v1/keys/999');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'NotFound', field: 'key' } });
    const unknown = await call(w, token, 'GET', '/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NotFound' } });
  });

  it('another user’s key id is not found and stays', async () => {
    w = await startWeb({});
    const ada = tokenFor(w, 'ada@example.com', ['keys:write', 'keys:read']);
    const bob = tokenFor(w, 'bob@example.com', ['keys:write', 'keys:read']);
    const added = (await (await call(w, ada.token, 'POST', '/api/v1/keys', { key: KEY })).json()) as {
      id: number;
    };
    const res = await call(w, bob.token, 'DELETE', `/api/v1/keys/${added.id}`);
    expect(res.status).toBe(404);
    expect(w.provisioner.api.listKeys({ userId: ada.userId })).toMatchObject({
      ok: true,
      value: [{ id: added.id }],
    });
  });
});
