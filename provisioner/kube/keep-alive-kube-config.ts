import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import type { RequestInit } from 'node-fetch';

/**
 * Idle pooled sockets are closed after this long: before the API server closes them (its idle timeout is
 * 90 s), so a request never goes out on a connection the server is closing. A socket in use (a quiet
 * watch) is not affected.
 */
const IDLE_SOCKET_MS = 60_000;

export interface KeepAliveOptions {
  idleSocketMs?: number;
}

/** The agent options that decide which connection a request may share (everything else is per request). */
type TlsOptions = Pick<
  https.AgentOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

const STATE_FIELDS = ['clusters', 'users', 'contexts', 'currentContext'] as const;

/**
 * A view of a KubeConfig whose API clients and watches share one keep-alive agent. client-node 1.4
 * builds a new https.Agent for every request (applySecurityAuthentication / applyToFetchOptions ->
 * createAgent), so every call paid a TCP and TLS handshake. Authentication still runs through `inner`
 * (its authenticators, token refresh, and any wrapper a caller put on its methods, such as the
 * benchmarks' request counter); only the agent it picked is swapped for the pooled one with the same TLS
 * identity. A rotated client certificate yields a new pool. A proxy agent (cluster.proxyUrl) is left as
 * client-node makes it. An aborted watch destroys its socket, so it never returns to the pool.
 */
export class KeepAliveKubeConfig extends KubeConfig {
  readonly #inner: KubeConfig;
  readonly #idleSocketMs: number;
  #pool: { key: string; agent: http.Agent } | undefined;

  constructor(inner: KubeConfig, options: KeepAliveOptions = {}) {
    super();
    this.#inner = inner;
    this.#idleSocketMs = options.idleSocketMs ?? IDLE_SOCKET_MS;
    // Live views of inner's clusters, users and contexts: client-node reads these fields directly
    // (KubernetesObjectApi reads currentContext), and a context switched on inner must show here too.
    for (const field of STATE_FIELDS)
      Object.defineProperty(this, field, {
        get: () => inner[field],
        set: (value) => {
          inner[field] = value;
        },
        enumerable: true,
        configurable: true,
      });
  }

  /** Generated API clients (makeApiClient, KubernetesObjectApi) authenticate every request here. */
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.#inner.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(this.#shared(agent));
  }

  /** Watches (and other fetch-based calls) take their agent from here. */
  override async applyToFetchOptions(opts: https.RequestOptions): Promise<RequestInit> {
    const init = await this.#inner.applyToFetchOptions(opts);
    const agent = init.agent;
    return agent instanceof http.Agent ? { ...init, agent: this.#shared(agent) } : init;
  }

  /** Closes the pool's idle connections (in-flight requests finish; later ones open new connections). */
  closeIdle(): void {
    if (this.#pool) closeIdleSockets(this.#pool.agent);
  }

  #shared(fresh: http.Agent): http.Agent {
    const Agent =
      fresh.constructor === https.Agent
        ? https.Agent
        : fresh.constructor === http.Agent
          ? http.Agent
          : undefined;
    if (!Agent) return fresh; // a proxy agent
    const tls = pickTls((fresh as https.Agent).options ?? {});
    const key = `${Agent === https.Agent ? 'https' : 'http'}:${digest(tls)}`;
    if (this.#pool?.key === key) return this.#pool.agent;
    const previous = this.#pool?.agent;
    this.#pool = { key, agent: new Agent({ ...tls, keepAlive: true, timeout: this.#idleSocketMs }) };
    if (previous) closeIdleSockets(previous);
    return this.#pool.agent;
  }
}

function pickTls(options: https.AgentOptions): TlsOptions {
  const picked: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (options[k] !== undefined) picked[k] = options[k];
  return picked as TlsOptions;
}

/** Certificates are read afresh for every request (new Buffers), so agents are matched by content. */
function digest(tls: TlsOptions): string {
  const hash = createHash('sha256');
  for (const k of TLS_KEYS) {
    const value = tls[k];
    const parts = Array.isArray(value) ? value : [value];
    hash.update(`${k}:`);
    for (const part of parts)
      hash.update(
        part === undefined
          ? '-'
          : Buffer.isBuffer(part)
            ? part
            : typeof part === 'object'
              ? JSON.stringify(part)
              : String(part),
      );
    hash.update('\n');
  }
  return hash.digest('hex');
}

function closeIdleSockets(agent: http.Agent): void {
  for (const sockets of Object.values(agent.freeSockets))
    for (const socket of sockets ?? []) socket.destroy();
}

/** The keep-alive view of `kubeConfig` (itself if it already is one). */
export const keepAliveKubeConfig = (kubeConfig: KubeConfig): KeepAliveKubeConfig =>
  kubeConfig instanceof KeepAliveKubeConfig ? kubeConfig : new KeepAliveKubeConfig(kubeConfig);
