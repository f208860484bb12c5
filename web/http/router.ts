// A small method + path router (":name" segments). The web owns its paths; Bolt hands it every request
// it does not handle itself (see web.routes).
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Params) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  pattern: string;
}

export class Router {
  readonly #routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, pattern });
    return this;
  }

  get patterns(): { method: string; pattern: string }[] {
    return this.#routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }

  /** The handler and params for a request, 'method' if the path exists with other methods, or undefined. */
  match(method: string, path: string): { handler: Handler; params: Params } | 'method' | undefined {
    const segments = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.#routes) {
      if (r.parts.length !== segments.length) continue;
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < r.parts.length; i++) {
        const p = r.parts[i]!;
        const s = segments[i]!;
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(s);
          } catch {
            ok = false;
          }
        } else if (p !== s) ok = false;
        if (!ok) break;
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET'))
        return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}
