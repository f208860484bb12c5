// One keep-alive connection pool for the provisioner's API clients and watches, against a local HTTP
// server that counts the connections it accepts (the TLS case runs against the real API server in
// test/integration/provisioner-caches.test.ts).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, type KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubeActions } from '../../../../provisioner/kube/actions.ts';
import {
  KeepAliveKubeConfig,
  keepAliveKubeConfig,
} from '../../../../provisioner/kube/keep-alive-kube-config.ts';
import { kubeConfigAt } from '../../../support/kube-config.ts';

let server: http.Server;
let connections = 0;
let closed = 0;
const authorizations: (string | undefined)[] = [];
/** Open watch responses, so a test can end them from the server side. */
const watches: http.ServerResponse[] = [];

const json = (res: http.ServerResponse, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(
        `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'w', resourceVersion: '1' } } })}\n`,
      );
      watches.push(res);
      return;
    }
    if (url.pathname === '/api/v1')
      return json(res, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] },
        ],
      });
    const name = url.pathname.split('/').at(-1);
    const kind = url.pathname.includes('/secrets/') ? 'Secret' : 'Namespace';
    json(res, { apiVersion: 'v1', kind, metadata: { name } });
  });
  server.on('connection', (socket) => {
    connections++;
    socket.on('close', () => closed++);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  for (const w of watches) w.destroy();
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  connections = 0;
  closed = 0;
  authorizations.length = 0;
});

const plainKubeConfig = (): KubeConfig =>
  kubeConfigAt(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    token: 'secret-token',
    namespace: 'tispace',
  });

const readTenTimes = async (kc: KubeConfig) => {
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 10; i++)
    expect((await core.readNamespace({ name: `n${i}` })).metadata?.name).toBe(`n${i}`);
};

describe('KeepAliveKubeConfig', () => {
  it('opens one connection for sequential API calls where a plain KubeConfig opens one per call', async () => {
    await readTenTimes(plainKubeConfig());
    expect(connections).toBe(10); // client-node's own behaviour: what this class is for

    connections = 0;
    await readTenTimes(new KeepAliveKubeConfig(plainKubeConfig()));
    expect(connections).toBe(1);
  });

  it('authenticates through the KubeConfig it wraps, wrappers on its methods included', async () => {
    const inner = plainKubeConfig();
    let counted = 0;
    const original = inner.applySecurityAuthentication.bind(inner);
    inner.applySecurityAuthentication = async (context) => {
      counted++;
      return original(context);
    };
    const kc = keepAliveKubeConfig(inner);
    expect(keepAliveKubeConfig(kc)).toBe(kc);
    expect(kc.getCurrentCluster()).toBe(inner.getCurrentCluster());
    expect(kc.currentContext).toBe('test');
    await readTenTimes(kc);
    expect(counted).toBe(10);
    expect(new Set(authorizations)).toEqual(new Set(['Bearer secret-token']));
    // KubernetesObjectApi (the reconciler's writer) too: discovery and reads on the same connection.
    connections = 0;
    const actions = kubeActions(kc);
    for (let i = 0; i < 5; i++)
      await actions.read({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `s${i}`, namespace: 'tispace' },
      });
    expect(counted).toBeGreaterThanOrEqual(16);
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('shares the pool with watches; an aborted watch does not poison it, an ended one returns its socket', async () => {
    const kc = new KeepAliveKubeConfig(plainKubeConfig());
    const watch = new Watch(kc);
    const events: string[] = [];
    let done = 0;
    const controller = await watch.watch(
      '/api/v1/namespaces',
      {},
      (type, object) => events.push(`${type} ${object.metadata.name}`),
      () => done++,
    );
    await expect.poll(() => events).toEqual(['ADDED w']);
    expect(connections).toBe(1);
    controller.abort();
    await expect.poll(() => done).toBe(1);

    // The aborted watch's socket is gone; calls after it succeed on one new connection.
    await readTenTimes(kc);
    expect(connections).toBe(2);

    // A watch the server ends (its timeout) hands its socket back to the pool.
    connections = 0;
    await watch.watch(
      '/api/v1/namespaces',
      {},
      () => {},
      () => done++,
    );
    expect(connections).toBe(0); // it took the idle pooled connection
    await expect.poll(() => watches.length).toBeGreaterThanOrEqual(2);
    watches.at(-1)!.end();
    await expect.poll(() => done).toBe(2);
    await readTenTimes(kc);
    expect(connections).toBe(0);

    kc.closeIdle();
    await readTenTimes(kc);
    expect(connections).toBe(1);
  });

  it('closes idle pooled connections (before the API server would), but not a quiet watch', async () => {
    const kc = new KeepAliveKubeConfig(plainKubeConfig(), { idleSocketMs: 150 });
    const events: string[] = [];
    await new Watch(kc).watch(
      '/api/v1/namespaces',
      {},
      (type, object) => events.push(`${type} ${object.metadata.name}`),
      () => {},
    );
    await expect.poll(() => events).toEqual(['ADDED w']);
    await readTenTimes(kc);
    expect(connections).toBe(2); // the watch's and the calls'
    await expect.poll(() => closed, { timeout: 2000 }).toBe(1); // the idle one
    await new Promise((r) => setTimeout(r, 300));
    // The watch, quiet for longer than the idle timeout, still delivers.
    watches.at(-1)!.write(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'w' } } })}\n`);
    await expect.poll(() => events).toEqual(['ADDED w', 'MODIFIED w']);
    expect(closed).toBe(1);
    watches.at(-1)!.end();
  });
});
