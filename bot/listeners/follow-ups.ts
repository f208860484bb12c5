/**
 * Acknowledgements before follow-ups. Every listener acks first and then does its work (read the store,
 * render Block Kit, call Slack); done right away, the work of one request delays the acks of the requests
 * that arrived with it, and Slack gives each only 3 s. Here the work after ack() waits for its turn: one
 * follow-up is started per turn of the event loop, so between two of them Node reads the sockets again and
 * acknowledges whatever arrived. Bounded: when `maxBacklog` follow-ups are waiting, new requests wait for a
 * slot before they are acknowledged, so an overload shows as slower acks rather than unbounded memory.
 */
export interface FollowUpsOptions {
  /**
   * Follow-ups allowed to wait before acknowledgements slow down. Default 256: a burst from a few hundred
   * connections is acknowledged at once, and under overload little is held in memory (and in GC).
   */
  maxBacklog?: number;
  /** Called with the backlog each time it changes (the bot exports it as a gauge). */
  onBacklog?: (backlog: number) => void;
}

export class FollowUps {
  readonly #maxBacklog: number;
  readonly #onBacklog: (backlog: number) => void;
  readonly #turns: (() => void)[] = [];
  readonly #slots: (() => void)[] = [];
  #scheduled = false;

  constructor(options: FollowUpsOptions = {}) {
    this.#maxBacklog = options.maxBacklog ?? 256;
    this.#onBacklog = options.onBacklog ?? (() => {});
  }

  /** Follow-ups waiting for their turn. */
  get backlog(): number {
    return this.#turns.length;
  }

  /** Resolves when there is room in the backlog (at once, unless overloaded). Call before ack(). */
  admit(): Promise<void> {
    if (this.#turns.length < this.#maxBacklog) return Promise.resolve();
    return new Promise((resolve) => this.#slots.push(resolve));
  }

  /** Resolves on a later turn of the event loop, in arrival order. Call right after ack(). */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.#turns.push(resolve);
      this.#onBacklog(this.#turns.length);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate runs after the poll phase: the sockets that became readable meanwhile (new requests,
    // answered with their acks) are served before the next follow-up starts.
    setImmediate(this.#next);
  }

  readonly #next = (): void => {
    this.#scheduled = false;
    const resolve = this.#turns.shift();
    this.#onBacklog(this.#turns.length);
    resolve?.();
    if (this.#turns.length < this.#maxBacklog) this.#slots.shift()?.();
    if (this.#turns.length > 0) this.#schedule();
  };
}
