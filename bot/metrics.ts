import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The bot's Prometheus metrics, on a registry of its own (served at GET /metrics). */
export interface BotMetrics {
  registry: Registry;
  /** Every Slack request handled: kind (command, action, view, event), id, outcome (ok, error). */
  requests: Counter<'kind' | 'id' | 'outcome'>;
  /** Time from receipt to ack(). */
  ackSeconds: Histogram<'kind'>;
  /** Slack Web API calls that failed, by method and Slack's error code. */
  slackErrors: Counter<'method' | 'error'>;
  /** Notifier deliveries by kind (phase, notice kind, admin) and outcome. */
  notifications: Counter<'kind' | 'outcome'>;
  /** Acknowledged requests whose work waits for its turn (see listeners/follow-ups.ts). */
  followUpBacklog: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): BotMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'tispace_slack_requests_total',
      help: 'Slack requests handled, by kind, id and outcome',
      labelNames: ['kind', 'id', 'outcome'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'tispace_slack_ack_seconds',
      help: 'Time from receiving a Slack request to acknowledging it',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    slackErrors: new Counter({
      name: 'tispace_slack_api_errors_total',
      help: 'Slack Web API calls that failed',
      labelNames: ['method', 'error'],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'tispace_notifications_total',
      help: 'Notifications delivered or failed',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    followUpBacklog: new Gauge({
      name: 'tispace_slack_follow_up_backlog',
      help: 'Acknowledged Slack requests whose work is waiting for its turn',
      registers: [registry],
    }),
  };
}
