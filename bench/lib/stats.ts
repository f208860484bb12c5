// Small statistics helpers: the benchmarks report medians and spreads, never single numbers.

export interface Spread {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
}

/** Linear-interpolated quantile (q in 0..1) of `values` (need not be sorted). NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export function spread(values: readonly number[]): Spread {
  return {
    n: values.length,
    min: values.length ? Math.min(...values) : Number.NaN,
    p25: quantile(values, 0.25),
    median: quantile(values, 0.5),
    p75: quantile(values, 0.75),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** Latency distribution of many samples (ms): p50/p90/p99/max. */
export function latency(values: readonly number[]) {
  return {
    n: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

export const round = (x: number, digits = 1): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** "median (min–max, n=N)" for tables. */
export const fmtSpread = (s: Spread, unit = '', digits = 1): string =>
  `${round(s.median, digits)}${unit} (${round(s.min, digits)}–${round(s.max, digits)}, n=${s.n})`;

/** Runs `fn` over `items` with at most `limit` in flight; resolves with results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` (bench code only) until it returns a value other than undefined, or throws on timeout. */
export async function until<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`,
      );
    await sleep(intervalMs);
  }
}

const TRANSIENT = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up|other side closed/;

/**
 * Retries `fn` while the API server is unreachable (other engineers' tests restart the shared control
 * plane's API server) or answers 429/5xx, for up to `timeoutMs`.
 */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: number | string }).code;
      const transient =
        TRANSIENT.test(String((error as Error)?.message ?? error)) ||
        (typeof code === 'string' && TRANSIENT.test(code)) ||
        code === 429 ||
        (typeof code === 'number' && code >= 500);
      if (!transient || Date.now() > deadline) throw error;
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}
