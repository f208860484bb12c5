// Counts every HTTP request a KubeConfig's clients make: generated API clients (and KubernetesObjectApi)
// authenticate each request through applySecurityAuthentication, watches through applyToFetchOptions.
import type { KubeConfig } from '@kubernetes/client-node';

export interface RequestCounts {
  /** GET of a collection (list). */
  list: number;
  /** GET of one named object: what "no per-instance GETs" is about. */
  get: number;
  /** Watch connections opened (initial and re-established). */
  watch: number;
  /** POST/PUT/PATCH/DELETE. */
  write: number;
  /** Per "METHOD /path-pattern" (names replaced by :name). */
  byRoute: Record<string, number>;
}

interface ContextLike {
  getHttpMethod(): string;
  getUrl(): string;
}

// /api/v1/namespaces/<ns>/<resource>[/<name>[/<sub>]] and /apis/<g>/<v>/namespaces/<ns>/<resource>/...
function classify(method: string, url: string): { kind: 'list' | 'get' | 'write'; route: string } {
  const { pathname } = new URL(url);
  const parts = pathname.split('/').filter(Boolean);
  const core = parts[0] === 'api';
  let rest = parts.slice(core ? 2 : 3);
  const pattern = parts.slice(0, core ? 2 : 3);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    pattern.push('namespaces', ':ns');
    rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  pattern.push(resource);
  if (rest.length >= 2) pattern.push(':name', ...rest.slice(2));
  const route = `${method} /${pattern.join('/')}`;
  if (method !== 'GET') return { kind: 'write', route };
  return { kind: rest.length >= 2 ? 'get' : 'list', route };
}

/** Wraps `kc` in place; the returned counts keep increasing. */
export function countRequests(kc: KubeConfig): { counts: RequestCounts; snapshot(): RequestCounts } {
  const counts: RequestCounts = { list: 0, get: 0, watch: 0, write: 0, byRoute: {} };
  const auth = kc.applySecurityAuthentication.bind(kc);
  const fetchOptions = kc.applyToFetchOptions.bind(kc);
  kc.applySecurityAuthentication = async (
    context: Parameters<KubeConfig['applySecurityAuthentication']>[0],
  ) => {
    const c = context as unknown as ContextLike;
    const { kind, route } = classify(c.getHttpMethod(), c.getUrl());
    counts[kind]++;
    counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
    return auth(context);
  };
  kc.applyToFetchOptions = async (opts: Parameters<KubeConfig['applyToFetchOptions']>[0]) => {
    counts.watch++;
    counts.byRoute.WATCH = (counts.byRoute.WATCH ?? 0) + 1;
    return fetchOptions(opts);
  };
  return {
    counts,
    snapshot: () => ({ ...counts, byRoute: { ...counts.byRoute } }),
  };
}

export function diffCounts(a: RequestCounts, b: RequestCounts): RequestCounts {
  const byRoute: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byRoute)) {
    const d = v - (a.byRoute[k] ?? 0);
    if (d) byRoute[k] = d;
  }
  return {
    list: b.list - a.list,
    get: b.get - a.get,
    watch: b.watch - a.watch,
    write: b.write - a.write,
    byRoute,
  };
}
