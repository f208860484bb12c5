import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../../bot/http/health-routes.ts';
import { CALLBACK_PATH, START_PATH } from '../../../bot/identity/google-link.ts';
import { DEV_SIGN_IN_PATH, STATIC } from '../../../web/app.ts';
import { GATEWAY_KEYS_PATH, GATEWAY_SESSIONS_PATH } from '../../../web/routes/gateway.ts';
import { overlayNames, renderOverlays } from '../../tools/kustomize/kustomize.ts';
import { startWeb } from '../web/support.ts';

// Bolt's HTTPReceiver serves Slack's requests on its default endpoint; the web's routes are read from its
// router (with Google sign-in on, as in production), ":param" segments filled in.
const publicRoutes = ['/slack/events', START_PATH, CALLBACK_PATH, ...Object.keys(STATIC)];
const internalRoutes = [
  ...healthRoutes({
    provisioner: { ready: () => ({ ok: true, store: true, kubernetes: true }) },
    registry: new Registry(),
  }).map((r) => r.path),
  // Refused outside `npm run dev` anyway, but never published.
  DEV_SIGN_IN_PATH,
  // The SSH gateway calls TiSpace's in-cluster Service; token-protected, and still never published.
  GATEWAY_KEYS_PATH,
  GATEWAY_SESSIONS_PATH,
];

interface IngressPath {
  path?: string;
  pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  backend: { service?: { name: string; port: { name?: string; number?: number } } };
}
interface Ingress {
  kind: 'Ingress';
  metadata: { name: string };
  spec: { defaultBackend?: unknown; rules?: { http?: { paths: IngressPath[] } }[] };
}

/** Kubernetes' path matching: Prefix matches whole path elements; Exact the whole path. */
function matches(rule: IngressPath, url: string): boolean {
  const p = rule.path ?? '/';
  if (rule.pathType === 'Exact') return url === p;
  if (p === '/') return true;
  const prefix = p.replace(/\/+$/, '');
  return url === prefix || url.startsWith(`${prefix}/`);
}

const overlays = overlayNames;
const ingresses = new Map<string, Ingress[]>();

beforeAll(async () => {
  const web = await startWeb({
    google: (origin) => ({
      clientId: 'client.apps.googleusercontent.com',
      clientSecret: 'secret',
      allowedDomains: ['example.com'],
      publicUrl: origin,
      secret: 'a'.repeat(40),
    }),
  });
  const served = web.web.patterns.map((p) => p.pattern.replace(/:[^/]+/g, 'x'));
  await web.close();
  expect(served).toContain('/machines');
  publicRoutes.push(...new Set(served.filter((p) => p !== DEV_SIGN_IN_PATH)));
  for (const [overlay, objs] of await renderOverlays())
    ingresses.set(
      overlay,
      objs.filter((o): o is Ingress => o.kind === 'Ingress'),
    );
}, 20 * 60_000); // the first run builds kustomize from the Go module proxy

describe.each(overlays)('overlay %s', (overlay) => {
  const paths = () =>
    (ingresses.get(overlay) ?? []).flatMap((i) => (i.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []));

  it('routes every public route of the app to the tispace Service', () => {
    for (const url of publicRoutes) {
      const rule = paths().find((p) => matches(p, url));
      expect(rule, `${url} is not routed`).toBeDefined();
      expect(rule?.backend.service?.name).toBe('tispace');
    }
  });

  it('exposes nothing else: no default backend, no rule reaching /metrics, the probes or any other path', () => {
    for (const ingress of ingresses.get(overlay) ?? []) expect(ingress.spec.defaultBackend).toBeUndefined();
    for (const url of internalRoutes)
      expect(
        paths().filter((p) => matches(p, url)),
        url,
      ).toEqual([]);
    for (const rule of paths()) {
      // Each rule serves a public route (an Exact rule names one), so nothing is published by accident.
      if (rule.pathType === 'Exact')
        expect(publicRoutes, `${rule.path} is not a public route of the app`).toContain(rule.path);
      expect(
        publicRoutes.some((url) => matches(rule, url)),
        `${rule.path} (${rule.pathType}) serves no public route of the app`,
      ).toBe(true);
      expect(rule.pathType, `${rule.path}: only Exact or Prefix have defined semantics`).not.toBe(
        'ImplementationSpecific',
      );
    }
  });
});
