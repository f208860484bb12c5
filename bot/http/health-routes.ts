import type { CustomRoute } from '@slack/bolt';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready(): { ok: boolean; store: boolean; kubernetes: boolean };
}

/** GET /healthz (the process answers), /readyz (store and Kubernetes reachable), /metrics (Prometheus). */
export function healthRoutes(o: { provisioner: Readiness; registry: Registry }): CustomRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      },
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        const r = o.provisioner.ready();
        res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r));
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        o.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': o.registry.contentType });
            res.end(text);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}`);
          },
        );
      },
    },
  ];
}
