// A stand-in for the resource metrics API (metrics.k8s.io/v1beta1, what metrics-server serves behind the
// API server's aggregator), over plain HTTP with a KubeConfig pointing at it. It answers like the real
// thing: PodMetricsList / PodMetrics with `containers[].usage.cpu` quantities, label selectors on lists, and
// the API server's own Status bodies when the group is not registered (404), the caller may not list
// (403) or the registered backend is down (503).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigAt } from '../../../support/kube-config.ts';

export interface FakePod {
  name: string;
  labels?: Record<string, string>;
  /** CPU usage of each container, e.g. "250m" or "1234567n". */
  cpu: string[];
  /** End of the sample's window (ISO); default: when the fake was asked (by its clock). */
  timestamp?: string;
}

export type MetricsApiMode =
  /** metrics-server installed and serving. */
  | 'serving'
  /** No APIService for metrics.k8s.io: the API server does not know the path. */
  | 'absent'
  /** RBAC refuses `list pods.metrics.k8s.io`. */
  | 'forbidden'
  /** APIService registered, its backend unreachable. */
  | 'unavailable';

const status = (code: number, reason: string, message: string, details: Record<string, string> = {}) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  details,
  code,
});

/** `a=b,c=d` (equality-based selectors only, which is all TiSpace sends). */
const matches = (selector: string | null, labels: Record<string, string> = {}): boolean =>
  !selector ||
  selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && labels[key] === value;
  });

export interface FakeMetricsApiOptions {
  namespace: string;
  /** The time samples are taken at (a test's ManualClock); default the system clock. */
  now?: () => Date;
}

export class FakeMetricsApi {
  mode: MetricsApiMode = 'serving';
  /** Answer this much later (a slow or hanging API). */
  delayMs = 0;
  readonly pods = new Map<string, FakePod>();
  /** "GET /path?query" of every request, in order. */
  readonly requests: string[] = [];
  readonly namespace: string;
  readonly #now: () => Date;
  #server: Server | undefined;
  #kubeConfig: KubeConfig | undefined;

  constructor(options: FakeMetricsApiOptions) {
    this.namespace = options.namespace;
    this.#now = options.now ?? (() => new Date());
  }

  get kubeConfig(): KubeConfig {
    if (!this.#kubeConfig) throw new Error('FakeMetricsApi not started');
    return this.#kubeConfig;
  }

  set(...pods: FakePod[]): void {
    for (const pod of pods) this.pods.set(pod.name, pod);
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      const [code, body] = this.#answer(req.method ?? 'GET', new URL(req.url ?? '/', 'http://fake'));
      const send = () => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs).unref();
      else send();
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#kubeConfig = kubeConfigAt(`http://127.0.0.1:${port}`, { token: 'token' });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #answer(method: string, url: URL): [number, unknown] {
    const base = `/apis/metrics.k8s.io/v1beta1/namespaces/${this.namespace}/pods`;
    const notFound = status(404, 'NotFound', 'the server could not find the requested resource');
    if (!url.pathname.startsWith('/apis/metrics.k8s.io/')) return [404, notFound];
    if (this.mode === 'absent') return [404, notFound];
    const list = url.pathname === base;
    const name = url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length + 1) : undefined;
    if (this.mode === 'forbidden')
      return [
        403,
        status(
          403,
          'Forbidden',
          `pods.metrics.k8s.io${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:${this.namespace}:tispace" cannot ${list ? 'list' : 'get'} resource "pods" in API group "metrics.k8s.io" in the namespace "${this.namespace}"`,
          { group: 'metrics.k8s.io', kind: 'pods' },
        ),
      ];
    if (this.mode === 'unavailable')
      return [503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')];
    if (method !== 'GET' || (!list && !name)) return [404, notFound];
    const now = this.#now().toISOString();
    if (name) {
      const pod = this.pods.get(name);
      return pod
        ? [200, this.#podMetrics(pod, now)]
        : [
            404,
            status(404, 'NotFound', `podmetrics.metrics.k8s.io "${name}" not found`, {
              name,
              group: 'metrics.k8s.io',
              kind: 'pods',
            }),
          ];
    }
    const selector = url.searchParams.get('labelSelector');
    return [
      200,
      {
        kind: 'PodMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: [...this.pods.values()]
          .filter((p) => matches(selector, p.labels))
          .map((p) => this.#podMetrics(p, now)),
      },
    ];
  }

  #podMetrics(pod: FakePod, now: string) {
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.name,
        namespace: this.namespace,
        creationTimestamp: now,
        labels: pod.labels ?? {},
      },
      timestamp: pod.timestamp ?? now,
      window: '15.012s',
      containers: pod.cpu.map((cpu, n) => ({
        name: n === 0 ? 'instance' : `c${n}`,
        usage: { cpu, memory: '123456Ki' },
      })),
    };
  }
}

/** The labels TiSpace's Pod of instance `id` carries. */
export const managedLabels = (id: string): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'tispace',
  'tispace.io/instance': id,
  'tispace.io/owner': 'U1',
});
