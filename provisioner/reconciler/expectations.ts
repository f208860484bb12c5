/**
 * Objects this process created that the caches have not shown yet (client-go's "expectations"): a pass
 * that runs before the watch event arrives does not create them again. An expectation lapses after a TTL
 * so a lost watch event cannot block a create forever.
 */
export class Expectations {
  /** Key → when it was created (performance.now()). */
  readonly #created = new Map<string, number>();

  constructor(private readonly ttlMs = 30_000) {}

  static key(kind: string, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  created(key: string): void {
    this.#created.set(key, performance.now());
  }

  /** The cache showed the object (added, changed or deleted): nothing is pending for it any more. */
  observed(key: string): void {
    this.#created.delete(key);
  }

  pending(key: string): boolean {
    const at = this.#created.get(key);
    return at !== undefined && performance.now() - at < this.ttlMs;
  }
}
