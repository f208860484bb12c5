/**
 * A work queue keyed by instance id, after client-go's workqueue: a key is queued at most once, is never
 * processed by two workers at once (re-adds while processing run once more afterwards), and failures
 * back off exponentially per key instead of sleeping in the handler.
 */
export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  readonly #waiters: (() => void)[] = [];
  #shutDown = false;
  readonly #base: number;
  readonly #max: number;

  constructor({ baseDelayMs = 50, maxDelayMs = 60_000 }: WorkQueueOptions = {}) {
    this.#base = baseDelayMs;
    this.#max = maxDelayMs;
  }

  add(key: string): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#waiters.shift()?.();
  }

  /**
   * Adds the key after `ms`. Sooner wins, as in client-go: a failure's short backoff replaces a long
   * requeue already waiting, and a later request never postpones an earlier one.
   */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    const pending = this.#timers.get(key);
    if (ms <= 0) {
      if (pending) clearTimeout(pending.timer);
      this.#timers.delete(key);
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    if (pending) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.#timers.set(key, { timer, at });
  }

  /** Re-adds after this key's next backoff delay: base·2^failures, capped. Returns the delay. */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = Math.min(this.#max, this.#base * 2 ** Math.min(failures, 20));
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  get length(): number {
    return this.#queue.length;
  }

  get busy(): boolean {
    return this.#queue.length > 0 || this.#processing.size > 0;
  }

  /** Next key, waiting if none; undefined once shut down. Call done(key) when finished. */
  async get(): Promise<string | undefined> {
    while (this.#queue.length === 0) {
      if (this.#shutDown) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    const key = this.#queue.shift()!;
    this.#queued.delete(key);
    this.#processing.add(key);
    return key;
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.#shutDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
