// The web front end on a real HTTP server with a real SQLite store; the provisioner is never started (no
// cluster), so these tests cover sign-in, sessions, CSRF and authorization of what needs no Kubernetes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GoogleSettings } from '../../../bot/config/env.ts';
import { createWeb, type Web, type WebOptions } from '../../../web/app.ts';
import { silentLog } from '../../support/log.ts';
import { apiOnlyProvisioner } from '../../support/offline-provisioner.ts';

export interface WebUnderTest {
  url: string;
  web: Web;
  provisioner: ReturnType<typeof apiOnlyProvisioner>['provisioner'];
  clock: ReturnType<typeof apiOnlyProvisioner>['clock'];
  close(): Promise<void>;
}

export async function startWeb(o: {
  dev?: { host: string; adminEmail: string };
  google?: (origin: string) => GoogleSettings;
  config?: Record<string, unknown>;
  listenHost?: string;
  gateway?: WebOptions['gateway'];
}): Promise<WebUnderTest> {
  const { provisioner, clock, close } = apiOnlyProvisioner({
    admins: ['admin@tispace.localhost', 'boss@corp.com'],
    ...o.config,
  });
  let handle: Web['handle'] = () => {};
  const server: Server = createServer((req, res) => handle(req, res));
  await new Promise<void>((r) => server.listen(0, o.listenHost ?? '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const web = createWeb({
    provisioner,
    log: silentLog,
    publicUrl: url,
    clock,
    ...(o.dev ? { dev: o.dev } : {}),
    ...(o.google ? { google: o.google(url) } : {}),
    ...(o.gateway ? { gateway: o.gateway } : {}),
  });
  handle = web.handle;
  return {
    url,
    web,
    provisioner,
    clock,
    async close() {
      web.close();
      await new Promise((r) => server.close(r));
      close();
    },
  };
}

/** A cookie jar of one browser: sends its cookies, stores Set-Cookie, never follows redirects. */
export class Browser {
  readonly jar = new Map<string, string>();
  lastSetCookie: string[] = [];
  constructor(private readonly origin: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(path.startsWith('http') ? path : `${this.origin}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const c of this.lastSetCookie) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c) || !value) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  /** Posts a form (urlencoded). */
  post(path: string, fields: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields))
      for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.fetch(path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** The CSRF token of the signed-in page at `path`. */
  async csrf(path = '/'): Promise<string> {
    const text = await (await this.fetch(path)).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (!m) throw new Error(`no CSRF token on ${path}: ${text.slice(0, 300)}`);
    return m[1]!;
  }
}
