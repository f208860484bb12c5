import { parseQuantity } from '../domain/quantity.ts';
import type { CpuSignal } from './activity-signals.ts';

// PodMetrics of metrics.k8s.io/v1beta1 (what metrics-server serves) turned into a CPU signal (pure).

export interface PodMetrics {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  /** When the usage was measured (end of the window). */
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

export interface PodMetricsList {
  kind?: string;
  items?: PodMetrics[];
}

/** Summed container CPU usage as a percent of `cpus`; undefined if the metrics hold no usable sample. */
export function cpuPercent(metrics: PodMetrics, cpus: number): number | undefined {
  const usages = (metrics.containers ?? []).map((c) => c.usage?.cpu).filter((u) => u !== undefined);
  if (usages.length === 0 || cpus <= 0) return undefined;
  let cores = 0;
  for (const u of usages) {
    try {
      cores += parseQuantity(u);
    } catch {
      return undefined;
    }
  }
  return (cores / cpus) * 100;
}

/** PodMetrics by Pod name (a list holds each Pod at most once). */
export function byPodName(list: PodMetricsList): Map<string, PodMetrics> {
  const map = new Map<string, PodMetrics>();
  for (const item of list.items ?? []) {
    const name = item.metadata?.name;
    if (name) map.set(name, item);
  }
  return map;
}

export interface CpuSignalOptions {
  /** The instance's CPUs (usage is a percent of these). */
  cpus: number;
  now: Date;
  /** A sample older than this is stale: metrics-server stopped scraping the Pod, so nothing is known. */
  maxAgeMs: number;
}

/**
 * The CPU signal of one Pod's metrics: unavailable when there are none (Pod not running or not scraped
 * yet), no usable usage, or a stale or undated sample — none of which may count as idle.
 */
export function cpuSignal(metrics: PodMetrics | undefined, o: CpuSignalOptions): CpuSignal {
  if (!metrics)
    return { available: false, reason: 'no CPU sample for the Pod (not running or not scraped yet)' };
  const at = metrics.timestamp ? Date.parse(metrics.timestamp) : Number.NaN;
  if (Number.isNaN(at)) return { available: false, reason: 'CPU sample without a time' };
  if (o.now.getTime() - at > o.maxAgeMs)
    return { available: false, reason: `stale CPU sample (taken ${new Date(at).toISOString()})` };
  const percent = cpuPercent(metrics, o.cpus);
  return percent === undefined ? { available: false, reason: 'no CPU sample' } : { available: true, percent };
}
