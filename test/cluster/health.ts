import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ProbeTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** Accept any serving certificate (components that generate their own self-signed one). */
  insecure?: boolean;
}

/** GETs `url` once; resolves the status code and body, or undefined if nothing answered. */
export function probe(
  url: string,
  tls: ProbeTls = {},
  timeoutMs = 2_000,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const isHttps = url.startsWith('https:');
    const options: https.RequestOptions = { timeout: timeoutMs };
    if (isHttps) {
      if (tls.ca) options.ca = readFileSync(tls.ca);
      if (tls.cert) options.cert = readFileSync(tls.cert);
      if (tls.key) options.key = readFileSync(tls.key);
      options.rejectUnauthorized = !tls.insecure;
    }
    const req = (isHttps ? https : http).get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Polls `url` until it answers 200 or `timeoutMs` passes; `alive` lets the wait stop early if the process died. */
export async function waitHealthy(
  what: string,
  url: string,
  tls: ProbeTls,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited while waiting for ${url}`);
    const res = await probe(url, tls);
    if (res?.status === 200) return;
    if (res) last = `HTTP ${res.status}: ${res.body.slice(0, 500)}`;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not healthy at ${url} within ${timeoutMs / 1000} s (last: ${last})`);
}
