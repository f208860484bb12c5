import type { V1Service } from '@kubernetes/client-node';
import type { Clock } from '../clock.ts';
import { INSTANCE_LABEL, isManaged, OWNER_LABEL } from '../domain/labels.ts';
import { objectNames } from '../domain/names.ts';
import { fail, ok, type Result } from '../errors.ts';
import type { ActivityTarget, SshSessionSource, SshSignal } from '../jobs/activity-signals.ts';

// Who is logged in where, as the SSH gateway sees it: every ~30 s each gateway reports its established
// connections to machines' ClusterIP:22. A peer address is credited to the instance whose TiSpace Service
// holds that ClusterIP (from the Service cache), and only to that instance of that owner. The idle job
// reads the result as its SSH signal; with no fresh report it is unavailable (CPU alone decides).

/** How often a gateway reports (its timer; manifests/base/gateway.yaml). */
export const GATEWAY_REPORT_INTERVAL_MS = 30_000;
/** A gateway silent for longer than this many intervals no longer counts: its sessions are unknown. */
export const GATEWAY_STALE_AFTER_MS = 3 * GATEWAY_REPORT_INTERVAL_MS;

/** One report, as POST /gateway/v1/sessions carries it. */
export interface GatewaySessionsReport {
  /** The reporting gateway (its Pod name): several gateways each report their own connections. */
  gateway: string;
  connections: { peer: string }[];
}

/** What the HTTP route of the gateway calls (provisioner.gatewaySessions). */
export interface GatewaySessions {
  /** Records the report; refuses a malformed one (nothing recorded) with what was wrong. */
  reportGatewaySessions(report: GatewaySessionsReport): Result<{ credited: number }>;
}

/** The Service cache (World.services): TiSpace's Services in its namespace. */
export interface ServiceLookup {
  list(namespace?: string): readonly V1Service[];
}

export interface GatewaySessionTrackerOptions {
  services: ServiceLookup;
  namespace: string;
  clock: Clock;
}

/** Sessions one gateway had open to one instance at its last report. */
interface Open {
  count: number;
  /** When this gateway first reported the instance's sessions open (without a break since). */
  since: number;
}

interface GatewayState {
  at: number;
  /** Instance key (owner + id) → its sessions through this gateway. */
  open: Map<string, Open>;
}

const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAX_CONNECTIONS = 10_000;

/** "10.96.12.7:22" or "[fd00::7]:22" → address and port; undefined when it is not one. */
export function parsePeer(peer: string): { address: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(peer);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const address = (m[1] ?? m[2])!;
  if (m[2] !== undefined) {
    const parts = IPV4.exec(address);
    if (!parts || parts.slice(1).some((p) => Number(p) > 255)) return undefined;
  } else if (!address.includes(':')) return undefined;
  return { address: address.toLowerCase(), port };
}

const key = (ownerId: string, id: string): string => `${ownerId}/${id}`;

/**
 * The session tracker: fed by gateway reports, read by the idle job (it is its SshSessionSource).
 * State lives in memory: after a restart the signal is unavailable until the next reports (≤ 30 s).
 */
export class GatewaySessionTracker implements SshSessionSource, GatewaySessions {
  readonly #o: GatewaySessionTrackerOptions;
  readonly #gateways = new Map<string, GatewayState>();
  /** Instance key → when a session was last seen open or found closed (ms). */
  readonly #lastSession = new Map<string, number>();

  constructor(options: GatewaySessionTrackerOptions) {
    this.#o = options;
  }

  reportGatewaySessions(report: GatewaySessionsReport): Result<{ credited: number }> {
    const gateway = typeof report?.gateway === 'string' ? report.gateway : '';
    if (!GATEWAY_ID.test(gateway))
      return fail(
        'InvalidInput',
        'gateway: must be the reporting gateway’s name (letters, digits, ".", "_", ":", "-"; up to 253)',
        'gateway',
      );
    if (!Array.isArray(report.connections) || report.connections.length > MAX_CONNECTIONS)
      return fail(
        'InvalidInput',
        `connections: must be a list of at most ${MAX_CONNECTIONS} {"peer":"<ip>:<port>"}`,
        'connections',
      );
    const peers: string[] = [];
    for (const [n, c] of report.connections.entries()) {
      const peer = (c as { peer?: unknown } | null)?.peer;
      if (typeof peer !== 'string' || !parsePeer(peer))
        return fail(
          'InvalidInput',
          `connections.${n}.peer: must be "<ip>:<port>" (e.g. "10.96.12.7:22"), got ${JSON.stringify(peer ?? null)?.slice(0, 60)}`,
          'connections',
        );
      peers.push(peer);
    }
    return ok({ credited: this.report(gateway, peers, this.#o.clock.now()) });
  }

  /** Records one gateway's connections now; how many of them were credited to an instance. */
  report(gateway: string, peers: readonly string[], now: Date): number {
    const at = now.getTime();
    const byAddress = this.#instancesByClusterIp();
    const counts = new Map<string, number>();
    for (const peer of peers) {
      const p = parsePeer(peer);
      // Only sshd's port on a TiSpace machine's address counts; anything else is not a login.
      const instance = p && p.port === 22 ? byAddress.get(p.address) : undefined;
      if (instance) counts.set(instance, (counts.get(instance) ?? 0) + 1);
    }
    const previous = this.#gateways.get(gateway);
    const fresh = previous && at - previous.at <= GATEWAY_STALE_AFTER_MS ? previous : undefined;
    const open = new Map<string, Open>();
    for (const [instance, count] of counts) {
      open.set(instance, { count, since: fresh?.open.get(instance)?.since ?? at });
      this.#lastSession.set(instance, at);
    }
    // Sessions this gateway had and no longer has ended (at the latest) now.
    for (const instance of fresh?.open.keys() ?? [])
      if (!open.has(instance)) this.#lastSession.set(instance, at);
    this.#gateways.set(gateway, { at, open });
    return [...counts.values()].reduce((a, b) => a + b, 0);
  }

  async sessions(instance: ActivityTarget): Promise<SshSignal> {
    return this.signal(instance, this.#o.clock.now());
  }

  /** The SSH signal of one instance at `now`, from the gateways that reported lately. */
  signal(instance: Pick<ActivityTarget, 'id' | 'ownerId'>, now: Date): SshSignal {
    const at = now.getTime();
    const live = [...this.#gateways.values()].filter((g) => at - g.at <= GATEWAY_STALE_AFTER_MS);
    if (live.length === 0) {
      const last = Math.max(...[...this.#gateways.values()].map((g) => g.at));
      return {
        available: false,
        reason: Number.isFinite(last)
          ? `no SSH gateway has reported since ${new Date(last).toISOString()} (reports are due every ${GATEWAY_REPORT_INTERVAL_MS / 1000} s)`
          : 'no SSH gateway has reported yet',
      };
    }
    const k = key(instance.ownerId, instance.id);
    let activeSessions = 0;
    let since = Number.POSITIVE_INFINITY;
    for (const g of live) {
      const o = g.open.get(k);
      if (!o) continue;
      activeSessions += o.count;
      since = Math.min(since, o.since);
    }
    const last = this.#lastSession.get(k);
    return {
      available: true,
      activeSessions,
      openSince: activeSessions > 0 ? new Date(since).toISOString() : null,
      lastSessionAt: last === undefined ? null : new Date(last).toISOString(),
    };
  }

  /** ClusterIP → instance key, for TiSpace's instance Services under their own names. */
  #instancesByClusterIp(): Map<string, string> {
    const map = new Map<string, string>();
    for (const service of this.#o.services.list(this.#o.namespace)) {
      const labels = service.metadata?.labels ?? {};
      const id = labels[INSTANCE_LABEL];
      const owner = labels[OWNER_LABEL];
      const ip = service.spec?.clusterIP;
      if (!isManaged(service) || !id || !owner || !ip || ip === 'None') continue;
      if (service.metadata?.name !== objectNames(id).service) continue;
      map.set(ip.toLowerCase(), key(owner, id));
    }
    return map;
  }
}
