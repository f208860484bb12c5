import type { BotMetrics } from '../metrics.ts';

type WithAck = { ack?: (...args: never[]) => Promise<void> };

/**
 * Counts a listener's requests and times its ack(). Errors are counted and rethrown unchanged: they go to
 * the app's one error handler.
 */
export function instrument<A extends WithAck>(
  metrics: BotMetrics,
  kind: string,
  id: string,
  handler: (args: A) => Promise<void>,
): (args: A) => Promise<void> {
  return async (args) => {
    const started = performance.now();
    const ack = args.ack;
    if (ack) {
      const timed = (async (...a: never[]) => {
        metrics.ackSeconds.observe({ kind }, (performance.now() - started) / 1000);
        return ack(...a);
      }) as A['ack'];
      args = { ...args, ack: timed };
    }
    try {
      await handler(args);
      metrics.requests.inc({ kind, id, outcome: 'ok' });
    } catch (error) {
      metrics.requests.inc({ kind, id, outcome: 'error' });
      throw error;
    }
  };
}
