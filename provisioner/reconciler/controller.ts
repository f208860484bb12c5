import type { Logger } from 'pino';
import { Expectations } from './expectations.ts';
import { WorkQueue } from './work-queue.ts';

// The generic half of a controller (what controller-runtime keeps in its Controller): a work queue with
// per-key backoff, workers, a periodic resync and the expectations of objects created but not yet seen.
// What a pass does for one key is the reconcile function's business (instance-reconciler.ts).

export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/** A pass that is done and asks for no requeue (a watch event or a resync brings the next one). */
export const DONE: ReconcileOutcome = {};

export interface ControllerOptions {
  /** One level-triggered pass for a key. Throwing backs the key off exponentially. */
  reconcile(key: string): Promise<ReconcileOutcome>;
  /** Records a failed pass where users can see it (best effort: a failure here is only logged). */
  recordError(key: string, error: unknown): void;
  /** Every key a resync enqueues. */
  keys(): Iterable<string>;
  resyncMs: number;
  log: Logger;
  workers?: number;
}

export class Controller {
  readonly queue = new WorkQueue();
  readonly expectations = new Expectations();
  /** Passes completed, and passes that failed (for metrics and benchmarks). */
  readonly stats = { reconciles: 0, errors: 0 };
  readonly #o: ControllerOptions;
  #resyncTimer: NodeJS.Timeout | undefined;
  #running: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  start(): void {
    const workers = this.#o.workers ?? 4;
    for (let i = 0; i < workers; i++) this.#running.push(this.#work());
    this.resync();
    this.#resyncTimer = setInterval(() => this.resync(), this.#o.resyncMs);
    this.#resyncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.#running);
    this.#running = [];
  }

  resync(): void {
    for (const key of this.#o.keys()) this.queue.add(key);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        this.stats.reconciles++;
        const outcome = await this.#o.reconcile(key);
        this.queue.forget(key);
        if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
      } catch (error) {
        this.stats.errors++;
        const delay = this.queue.addRateLimited(key);
        this.#o.log.warn({ instance: key, err: error, retryInMs: delay }, 'reconcile failed; backing off');
        try {
          this.#o.recordError(key, error);
        } catch (recordError) {
          // The store failing too (locked, I/O) must not end this worker: the retry is already queued.
          this.#o.log.error({ instance: key, err: recordError }, 'could not record the reconcile error');
        }
      } finally {
        this.queue.done(key);
      }
    }
  }
}
