// Section 5 as plain-text tables (bench/report.ts composes the sections).
import { round, type Spread } from '../lib/stats.ts';

type Row = (string | number)[];
// biome-ignore lint/suspicious/noExplicitAny: results are a loose JSON document
type Any = any;

const sp = (s: Spread | undefined, d = 1) =>
  s ? `${round(s.median, d)} ms (${round(s.min, d)}–${round(s.max, d)})` : '—';
const kb = (bytes: number) => `${round(bytes / 1024, 1)} KiB`;

/** The section's tables, and its targets with verdicts. */
export function webTables(
  web: Any,
  table: (title: string, header: string[], rows: Row[]) => string,
): { text: string[]; targets: Row[] } {
  if (!web?.pages) return { text: web?.error ? [`\n5. Web: FAILED — ${web.error}`] : [], targets: [] };
  const pages = Object.values(web.pages) as Any[];
  const text = [
    table(
      `5. Web pages (server time: request → last byte to the socket; median over ${web.method.rounds} round(s), (min–max) across rounds; bare = node:http answering the same bytes)`,
      ['page', 'bytes (gzip)', 'rows', 'TiSpace p50', 'TiSpace p99', 'bare p99', 'p99 ratio', 'client p99'],
      pages.map((p) => [
        p.what,
        `${kb(p.weight.bytes)} (${kb(p.weight.gzipBytes)})`,
        p.weight.machineRows,
        sp(p.tispace.serverP50),
        sp(p.tispace.serverP99),
        sp(p.bare.serverP99, 2),
        `${p.serverP99Ratio}×`,
        sp(p.tispace.clientP99),
      ]),
    ),
    `static assets (once, cached): app.css ${kb(web.assets.cssBytes)}, app.js ${kb(web.assets.jsBytes)}`,
    table(
      `5. Live updates: ${web.method.sse.dashboards} open dashboards (${web.method.sse.userDashboards} users, ${web.method.sse.adminTabs} admin tabs), ${web.method.sse.changes} machines change state → ${web.method.sse.deliveriesPerRound} events per round, ${web.method.sse.rounds} rounds`,
      ['server', 'delivery p50', 'delivery p99', 'fan-out wall', 'fan-out CPU'],
      [
        [
          'TiSpace (per-subscriber render as that user)',
          sp(web.live.tispace.deliveryP50),
          sp(web.live.tispace.deliveryP99),
          sp(web.live.tispace.fanOutWallMs),
          sp(web.live.tispace.fanOutCpuMs),
        ],
        [
          'bare (same events, pre-rendered)',
          sp(web.live.bare.deliveryP50),
          sp(web.live.bare.deliveryP99),
          sp(web.live.bare.fanOutWallMs),
          '—',
        ],
        ['p99 ratio', '', `${web.live.p99Ratio}×`, '', ''],
      ],
    ),
  ];
  const targets: Row[] = pages.map((p) => [
    `${p.what}: server time p99 < ${p.targetMs} ms`,
    `${round(p.tispace.serverP99.median, 1)} ms (${p.serverP99Ratio}× bare)`,
    p.targetMet ? 'met' : 'MISSED',
  ]);
  targets.push([
    `SSE: ${web.method.sse.changes} changes to ${web.method.sse.dashboards} dashboards, delivery p99`,
    `${round(web.live.tispace.deliveryP99.median, 1)} ms (${web.live.p99Ratio}× bare)`,
    '— (no target set)',
  ]);
  return { text, targets };
}
