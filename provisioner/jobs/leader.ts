import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { isManaged, MANAGED_BY, MANAGED_BY_VALUE } from '../domain/labels.ts';

// Leader election on a coordination.k8s.io/v1 Lease, so that one replica runs the scheduled jobs. Writes
// use the Lease's resourceVersion (optimistic concurrency): a 409 means another replica won this round.

export const JOBS_LEASE_NAME = 'tispace-jobs';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Who we are (hostname-pid by default in Jobs); written as holderIdentity. */
  identity: string;
  clock: Clock;
  log: Logger;
  name?: string;
  /** A holder that has not renewed for this long has lost the Lease. */
  leaseDurationSeconds?: number;
  /** How often the holder renews (and others retry). */
  renewDeadlineSeconds?: number;
  onChange?: (leader: boolean) => void;
}

const toMs = (t: Date | string | undefined): number | undefined => {
  if (t === undefined) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
};

/** Whether the Lease is free for the taking at `now`: no holder, or a holder that stopped renewing. */
export function leaseExpired(lease: V1Lease, now: number, defaultDurationSeconds: number): boolean {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return true;
  const renewed = toMs(spec.renewTime) ?? toMs(spec.acquireTime);
  if (renewed === undefined) return true;
  return renewed + (spec.leaseDurationSeconds ?? defaultDurationSeconds) * 1000 <= now;
}

const code = (error: unknown): number | undefined => (error as { code?: number }).code;

export class LeaderElector {
  readonly #api: CoordinationV1Api;
  readonly #o: Required<Omit<LeaderElectorOptions, 'onChange'>> & Pick<LeaderElectorOptions, 'onChange'>;
  #leader = false;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<boolean> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#o = { name: JOBS_LEASE_NAME, leaseDurationSeconds: 15, renewDeadlineSeconds: 10, ...options };
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  get identity(): string {
    return this.#o.identity;
  }

  /** Tries now, then every renewDeadlineSeconds. */
  start(): void {
    if (this.#timer) return;
    void this.tryAcquireOrRenew();
    this.#timer = setInterval(() => void this.tryAcquireOrRenew(), this.#o.renewDeadlineSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops renewing and, if we hold the Lease, hands it back so another replica need not wait it out. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight?.catch(() => false);
    if (!this.#leader) return;
    this.#set(false);
    try {
      const lease = await this.#read();
      if (lease?.spec?.holderIdentity !== this.#o.identity) return;
      await this.#replace(lease, {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new V1MicroTime(this.#o.clock.now().getTime()),
      });
    } catch (error) {
      this.#o.log.warn({ err: error }, 'could not release the jobs Lease; it expires by itself');
    }
  }

  /** One round: acquire a free or expired Lease, renew ours, or learn that someone else holds it. */
  tryAcquireOrRenew(): Promise<boolean> {
    this.#inFlight ??= this.#round().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #round(): Promise<boolean> {
    const { identity, leaseDurationSeconds, clock, log } = this.#o;
    const now = clock.now();
    const micro = new V1MicroTime(now.getTime());
    try {
      const lease = await this.#read();
      if (!lease) {
        await this.#api.createNamespacedLease({
          namespace: this.#o.namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: {
              name: this.#o.name,
              namespace: this.#o.namespace,
              labels: { [MANAGED_BY]: MANAGED_BY_VALUE },
            },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: micro,
              renewTime: micro,
              leaseTransitions: 0,
            },
          },
        });
        return this.#set(true);
      }
      if (!isManaged(lease)) {
        log.error(
          { lease: this.#o.name },
          `Lease ${this.#o.name} exists but is not TiSpace's (no ${MANAGED_BY}=${MANAGED_BY_VALUE}); not touching it, not leading`,
        );
        return this.#set(false);
      }
      const spec = lease.spec ?? {};
      if (spec.holderIdentity === identity) {
        await this.#replace(lease, { ...spec, leaseDurationSeconds, renewTime: micro });
        return this.#set(true);
      }
      if (!leaseExpired(lease, now.getTime(), leaseDurationSeconds)) return this.#set(false);
      await this.#replace(lease, {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: micro,
        renewTime: micro,
        leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
      });
      return this.#set(true);
    } catch (error) {
      if (code(error) !== 409)
        log.warn({ err: error, lease: this.#o.name }, 'jobs leader election failed; not leading this round');
      return this.#set(false);
    }
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
    } catch (error) {
      if (code(error) === 404) return undefined;
      throw error;
    }
  }

  async #replace(lease: V1Lease, spec: NonNullable<V1Lease['spec']>): Promise<void> {
    // MicroTime must go out with exactly six fractional digits, whatever the read gave back.
    const acquired = toMs(spec.acquireTime);
    const renewed = toMs(spec.renewTime);
    await this.#api.replaceNamespacedLease({
      name: this.#o.name,
      namespace: this.#o.namespace,
      // resourceVersion from the read: a concurrent writer makes this a 409.
      body: {
        ...lease,
        spec: {
          ...spec,
          acquireTime: acquired === undefined ? undefined : new V1MicroTime(acquired),
          renewTime: renewed === undefined ? undefined : new V1MicroTime(renewed),
        },
      },
    });
  }

  #set(leader: boolean): boolean {
    if (leader !== this.#leader) {
      this.#leader = leader;
      this.#o.log.info(
        { identity: this.#o.identity, leader },
        leader ? 'leading the jobs' : 'not leading the jobs',
      );
      this.#o.onChange?.(leader);
    }
    return leader;
  }
}
