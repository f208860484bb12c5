import type { BotMetrics } from '../metrics.ts';
import type { FollowUps } from './follow-ups.ts';

type WithAck = { ack?: (...args: never[]) => Promise<void> };

/**
 * Wraps a listener: counts its requests, times its ack(), and runs what it does after ack() as a
 * follow-up (see follow-ups.ts), so that acknowledgements are never queued behind other requests' work.
 * Listeners without ack() (events, which Bolt acknowledges itself) run entirely as a follow-up. Errors are
 * counted and rethrown unchanged: they go to the app's one error handler.
 */
export function instrument<A extends WithAck>(
  deps: { metrics: BotMetrics; followUps: FollowUps },
  kind: string,
  id: string,
  handler: (args: A) => Promise<void>,
): (args: A) => Promise<void> {
  const { metrics, followUps } = deps;
  return async (args) => {
    const started = performance.now();
    const ack = args.ack;
    if (ack) {
      const timed = (async (...a: never[]) => {
        await followUps.admit();
        metrics.ackSeconds.observe({ kind }, (performance.now() - started) / 1000);
        await ack(...a);
        await followUps.turn();
      }) as A['ack'];
      args = { ...args, ack: timed };
    } else {
      await followUps.turn();
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
