import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { checkoutId } from './node/layout.ts';

/** Loopback ports of the local control plane. */
export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

/** The ports of a checkout whose offset is 0 (documented in test/cluster/README.md). */
export const basePorts: ClusterPorts = {
  etcdClient: 22379,
  etcdPeer: 22380,
  apiserver: 26443,
  controllerManager: 20257,
  scheduler: 20259,
};

/**
 * Preferred ports: the base ports shifted by 10 × (0…49) from the checkout id, so two checkouts starting
 * at the same moment (CI clones, worktrees) do not both find a port free and then race to bind it. A busy
 * one is still replaced by a free ephemeral port.
 */
export const preferredPorts: ClusterPorts = Object.fromEntries(
  Object.entries(basePorts).map(([k, v]) => [k, v + 10 * (Number.parseInt(checkoutId.slice(2, 4), 16) % 50)]),
) as unknown as ClusterPorts;

/** Whether nothing listens on 127.0.0.1:port (by binding it for a moment). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/**
 * Ports for a fresh start: those used last time (kept in `file`) or the preferred ones, each replaced by an
 * ephemeral port if something else holds it. The choice is written back to `file`.
 */
export async function choosePorts(file: string): Promise<ClusterPorts> {
  const previous: Partial<ClusterPorts> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const chosen = { ...preferredPorts };
  const taken = new Set<number>();
  for (const key of Object.keys(chosen) as (keyof ClusterPorts)[]) {
    let port = previous[key] ?? preferredPorts[key];
    while (taken.has(port) || !(await isPortFree(port))) port = await ephemeralPort();
    taken.add(port);
    chosen[key] = port;
  }
  writeFileSync(file, `${JSON.stringify(chosen, null, 2)}\n`);
  return chosen;
}

/** Ports recorded by the last start, if any. */
export function recordedPorts(file: string): ClusterPorts | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterPorts) : undefined;
}
