// A minimal keep-alive HTTPS client for bulk object creation by the benchmark itself. (client-node builds
// a new https.Agent — so a new TLS connection — for every request, which makes 50,000 creates slow.)
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { retrying } from './stats.ts';

export interface RawKube {
  request<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  close(): void;
}

export class RawKubeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function rawKube(kc: KubeConfig, maxSockets = 32): Promise<RawKube> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts); // fills ca/cert/key (and an agent we do not use)
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.cert ? { cert: opts.cert } : {}),
    ...(opts.key ? { key: opts.key } : {}),
  });
  const base = new URL(cluster.server);
  return {
    request<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
      return retrying(() => once<T>(method, path, body, contentType));
    },
    close: () => agent.destroy(),
  };
  function once<T>(method: string, path: string, body: unknown, contentType: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: {
            ...(opts.headers ?? {}),
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 300)
              reject(new RawKubeError(status, `${method} ${path}: ${status} ${text.slice(0, 300)}`));
            else resolve((text ? JSON.parse(text) : undefined) as T);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
