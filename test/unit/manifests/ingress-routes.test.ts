// Every overlay's Ingress routes each public HTTP route the app serves to the app, and nothing else: a
// by-the-docs install must let Slack deliver events and users link Google, and must not publish
// /metrics or the probes.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { healthRoutes } from '../../../bot/http/health-routes.ts';
import { CALLBACK_PATH, START_PATH } from '../../../bot/identity/google-link.ts';
import { kustomizeBuild } from '../../tools/kustomize/kustomize.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const overlaysDir = path.join(root, 'manifests', 'overlays');
// Bolt's HTTPReceiver serves Slack's requests on its default endpoint.
const publicRoutes = ['/slack/events', START_PATH, CALLBACK_PATH];
const internalRoutes = healthRoutes({
  provisioner: { ready: () => ({ ok: true, store: true, kubernetes: true }) },
  registry: new Registry(),
}).map((r) => r.path);

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

const overlays = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const ingresses = new Map<string, Ingress[]>();

beforeAll(async () => {
  for (const overlay of overlays) {
    const text = await kustomizeBuild(path.join(overlaysDir, overlay));
    const objs = parseAllDocuments(text).map((d) => d.toJS() as { kind?: string });
    ingresses.set(
      overlay,
      objs.filter((o): o is Ingress => o.kind === 'Ingress'),
    );
  }
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
      // Each rule names one public route, so nothing the app might serve later is published by accident.
      expect(publicRoutes, `${rule.path} (${rule.pathType}) is not a public route of the app`).toContain(
        rule.path,
      );
      expect(rule.pathType, `${rule.path}: only Exact or Prefix have defined semantics`).not.toBe(
        'ImplementationSpecific',
      );
    }
  });
});
