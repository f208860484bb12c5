// TiSpace's SSH front door for real-node tests: TiSpace's HTTP server with the gateway's two routes (the
// web front end, as `npm start` serves it, with a gateway token) and the real OpenSSH gateway in front of
// it (../../cluster/gateway.ts). The provisioner's config must name the gateway's address, so pick the
// port first (`gatewayConfig`), start the provisioner with it, then the front door. No vitest here: the
// benchmark's gateway section uses it too.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Provisioner } from '../../../provisioner/api.ts';
import { createWeb, type Web } from '../../../web/app.ts';
import { type LocalGateway, startLocalGateway } from '../../cluster/gateway.ts';
import { podSubnet } from '../../cluster/node/layout.ts';
import { silentLog } from '../../support/log.ts';
import { freePort } from '../../support/ports.ts';

export interface FrontDoor {
  gateway: LocalGateway;
  /** TiSpace's base URL (what the gateway's /etc/tispace-gateway/url holds). */
  url: string;
  token: string;
  web: Web;
  close(): Promise<void>;
}

/** A free loopback port for the gateway and the `gateway` section of TiSpace's config naming it. */
export async function gatewayConfig(): Promise<{
  port: number;
  gateway: { host: string; port: number; user: string };
}> {
  const port = await freePort();
  return { port, gateway: { host: '127.0.0.1', port, user: 'tispace' } };
}

interface TiSpaceServer {
  url: string;
  token: string;
  web: Web;
  close(): Promise<void>;
}

/** TiSpace's HTTP routes for `p` with a fresh gateway token, listening on `host` (any free port). */
async function serveTiSpace(p: Provisioner, host: string): Promise<TiSpaceServer> {
  const token = randomBytes(24).toString('base64url');
  let web: Web | undefined;
  const server: Server = createServer((req, res) => web!.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  web = createWeb({
    provisioner: p,
    log: silentLog,
    publicUrl: url,
    gateway: { token, sessions: p.gatewaySessions },
  });
  return {
    url,
    token,
    web,
    async close() {
      web?.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Serves TiSpace's HTTP routes for `p` (with a fresh gateway token) and starts the gateway on `port`. */
export async function startFrontDoor(
  p: Provisioner,
  o: { kubeConfig: KubeConfig; port: number; reportIntervalSeconds?: number },
): Promise<FrontDoor> {
  const tispace = await serveTiSpace(p, '127.0.0.1');
  let gateway: LocalGateway;
  try {
    gateway = await startLocalGateway({
      kubeConfig: o.kubeConfig,
      tispaceUrl: tispace.url,
      token: tispace.token,
      port: o.port,
      ...(o.reportIntervalSeconds ? { reportIntervalSeconds: o.reportIntervalSeconds } : {}),
    });
  } catch (error) {
    await tispace.close();
    throw error;
  }
  return {
    gateway,
    url: tispace.url,
    token: tispace.token,
    web: tispace.web,
    async close() {
      await gateway.stop();
      await tispace.close();
    },
  };
}

/**
 * TiSpace's HTTP routes on the real node's bridge address, where the gateway Pods reach it
 * (../../cluster/gateway-pod.ts deploys them with this server's url and token).
 */
export function serveTiSpaceToPods(p: Provisioner): Promise<TiSpaceServer> {
  return serveTiSpace(p, podSubnet().gateway);
}
