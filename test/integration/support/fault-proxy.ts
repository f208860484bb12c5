// A fault-injecting proxy in front of the local kube-apiserver: clients talk plain HTTP to it on loopback,
// it forwards every request over TLS with the admin credentials, except those a rule fails (answered
// with a Kubernetes Status, as an overloaded or broken API server would answer).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigAt } from '../../support/kube-config.ts';

export interface FaultRule {
  /** Fails a request when this returns true (method, path with query). */
  matches: (method: string, url: URL) => boolean;
  status?: number;
}

export interface FaultProxy {
  /** A KubeConfig that reaches the API server through the proxy. */
  kubeConfig: KubeConfig;
  /** Requests failed so far, as "METHOD path". */
  failed: string[];
  /** Replaces the rules (none: everything passes). */
  setRules(rules: FaultRule[]): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: KubeConfig, rules: FaultRule[] = []): Promise<FaultProxy> {
  const cluster = upstream.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const target = new URL(cluster.server);
  const tls: https.RequestOptions = {};
  await upstream.applyToHTTPSOptions(tls);
  const failed: string[] = [];
  let active = rules;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const method = req.method ?? 'GET';
    const rule = active.find((r) => r.matches(method, url));
    if (rule) {
      failed.push(`${method} ${url.pathname}${url.search}`);
      const code = rule.status ?? 500;
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'fault injected by the test proxy',
          reason: 'InternalError',
          code,
        }),
      );
      return;
    }
    const headers = { ...req.headers, host: target.host };
    const forward = https.request(
      { ...tls, hostname: target.hostname, port: target.port, method, path: req.url, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        // A watch sends its headers at once and events later: pass the headers on now, as the API server does.
        res.flushHeaders();
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    kubeConfig: kubeConfigAt(`http://127.0.0.1:${port}`),
    failed,
    setRules(next) {
      active = next;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A list (not a watch) of `resource` (e.g. "persistentvolumeclaims", "pods"). */
export const isList =
  (resource: string) =>
  (method: string, url: URL): boolean =>
    method === 'GET' && url.pathname.endsWith(`/${resource}`) && url.searchParams.get('watch') !== 'true';
