// Renders results.json as plain-text tables for stdout.
import { round, type Spread } from './lib/stats.ts';
import { webTables } from './web/report.ts';

type Row = (string | number)[];

function table(title: string, header: string[], rows: Row[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    `\n${title}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

const ms = (x: number | undefined, d = 1) =>
  x === undefined || !Number.isFinite(x) ? '—' : `${round(x, d)} ms`;
const sp = (s: Spread | undefined, unit = ' ms', d = 1) =>
  s ? `${round(s.median, d)}${unit} (${round(s.min, d)}–${round(s.max, d)})` : '—';
const yes = (b: unknown) => (b === true ? 'met' : b === false ? 'MISSED' : '—');

interface Lat {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

// biome-ignore lint/suspicious/noExplicitAny: results are a loose JSON document
type Any = any;

export function renderTable(results: Record<string, unknown>): string {
  const out: string[] = [];
  const m = results.machine as Any;
  out.push(
    `TiSpace benchmarks — ${results.startedAt}${results.quick ? ' (--quick)' : ''}\nmachine: ${m?.nproc} CPUs (${m?.cpuModel}), ${m?.memTotalGiB} GiB RAM, Node ${m?.node}, load average (1/5/15 min) at start ${m?.loadAvgAtStart?.join(' ')}, at end ${m?.loadAvgAtEnd?.join(' ')}`,
  );
  const targets: Row[] = [];

  const ack = results.ack as Any;
  if (ack?.cases) {
    out.push(
      table(
        `1. Acknowledgement latency (autocannon, signed requests; median over ${ack.method.rounds} round(s) of ${ack.method.durationSecondsPerRun} s, (min–max) across rounds)`,
        [
          'load',
          'request',
          'conns',
          'bare p50',
          'bare p99',
          'TiSpace p50',
          'TiSpace p99',
          'p99 ratio',
          'req/s bare / TiSpace',
          'errors',
        ],
        ack.cases.map((c: Any) => [
          c.load === 'closed' ? 'closed loop' : `${c.load} req/s`,
          c.kind === 'command' ? '/tispace list' : 'block_actions',
          c.connections,
          sp(c.bare.p50),
          sp(c.bare.p99),
          sp(c.tispace.p50),
          sp(c.tispace.p99),
          `${c.p99Ratio}× (${round(c.p99RatioPerRound.min, 2)}–${round(c.p99RatioPerRound.max, 2)})`,
          `${Math.round(c.bare.rps)} / ${Math.round(c.tispace.rps)}`,
          `${c.failures.bare} / ${c.failures.tispace}`,
        ]),
      ),
    );
    for (const c of ack.cases) {
      const what = `${c.load === 'closed' ? 'closed loop' : `${c.load} req/s`}, ${c.kind === 'command' ? '/tispace list' : 'block_actions'}, ${c.connections} conns`;
      targets.push([`ack p99 ≤ 1.5× bare Bolt (${what})`, `${c.p99Ratio}×`, yes(c.targets.ratioWithin1_5)]);
      if (c.connections === 50)
        targets.push([`ack p99 < 100 ms (${what})`, ms(c.tispace.p99.median), yes(c.targets.p99Under100ms)]);
    }
  } else if (ack?.error) out.push(`\n1. Acknowledgement latency: FAILED — ${ack.error}`);

  const prov = results.provision as Any;
  if (prov?.readyToChatUpdateMs) {
    const row = (name: string, l: Lat) => [name, l.n, ms(l.p50, 2), ms(l.p90, 2), ms(l.p99, 2), ms(l.max, 2)];
    out.push(
      table(
        `2. Provisioning path (real control plane, ${prov.method.samples} machines one after another)`,
        ['segment', 'n', 'p50', 'p90', 'p99', 'max'],
        [
          row('view_submission → ack (HTTP answer)', prov.ackMs),
          row('view_submission → Pod created (API answered)', prov.submitToPodCreatedMs),
          row('Pod Ready watch event → notifier called', prov.informerEventToNotifierMs),
          row('Pod Ready → chat.update at fake Slack', prov.readyToChatUpdateMs),
          row('(end to end, incl. cluster) submit → chat.update', prov.submitToChatUpdateMs),
        ],
      ),
    );
    out.push(
      `API requests between Pod creation and chat.update (all samples): ${JSON.stringify(prov.requestsWhileWaitingForReady)}; Pod creates answered 409: ${prov.podCreateConflicts}, Pod reads: ${prov.podReads}`,
    );
    targets.push([
      'Pod Ready → message updated p99 < 100 ms',
      ms(prov.readyToChatUpdateMs.p99, 2),
      yes(prov.targets.readinessNoticedUnder100msP99),
    ]);
    targets.push([
      'readiness through the watch, no polling',
      `${prov.podReads} Pod reads / ${prov.podCreateConflicts} 409s`,
      yes(prov.targets.noPolling),
    ]);
  } else if (prov?.error) out.push(`\n2. Provisioning path: FAILED — ${prov.error}`);

  const scale = results.scale as Any;
  if (scale?.resync) {
    const r = scale.resync;
    const per = r.perRun as Any[];
    const sumHttp = (k: string) => per.map((x) => x.http[k]).join('/');
    out.push(
      table(
        `3. Scale: ${scale.method.instances} instances, ${scale.method.users} users, ${scale.method.nodes} KWOK nodes (worker process of its own)`,
        ['measure', 'value'],
        [
          [
            'setup: objects created (5 requests each, 32 in flight)',
            `${round(scale.setup.createObjectsSeconds, 0)} s`,
          ],
          [
            'setup: until every Pod Ready',
            `${round(scale.setup.steadyStateSeconds, 0)} s (${scale.setup.podsReady} Pods Ready, ${scale.setup.pvcsPending} PVCs Pending)`,
          ],
          [
            'start: list every cache',
            `${ms(scale.startup.listMs, 0)} wall, ${ms(scale.startup.listCpuMs, 0)} CPU, ${scale.startup.listRequests.list} lists + ${scale.startup.listRequests.watch} watches`,
          ],
          [
            'start: first full pass (records conditions)',
            `${ms(scale.startup.initialPass.wallMs, 0)} wall, ${ms(scale.startup.initialPass.cpuMs, 0)} CPU, ${scale.startup.initialPass.statusWrites} status writes, ${scale.startup.initialPass.http.get} GETs`,
          ],
          [`steady resync (${r.runs} runs): wall`, sp(r.wallMs)],
          ['steady resync: CPU (process.cpuUsage)', sp(r.cpuMs)],
          ['steady resync: reconciles per run', per.map((x) => x.reconciles).join('/')],
          [
            'steady resync: HTTP list/get/watch/write per run',
            `${sumHttp('list')} · ${sumHttp('get')} · ${sumHttp('watch')} · ${sumHttp('write')}`,
          ],
          [
            'steady resync: kube.requests writes/reads, status writes',
            `${per.map((x) => x.kubeWrites).join('/')} · ${per.map((x) => x.kubeReads).join('/')} · ${per.map((x) => x.statusWrites).join('/')}`,
          ],
          [
            'memory: RSS after GC (whole process, compiled JS on plain node)',
            `${scale.memory.rssMiB} MiB (heap used ${scale.memory.heapUsedMiB}, heap total ${scale.memory.heapTotalMiB})`,
          ],
          [
            'memory: same process before the Provisioner',
            `${scale.memory.beforeProvisioner.rssMiB} MiB RSS (${scale.memory.beforeProvisioner.heapUsedMiB} heap)`,
          ],
          ['memory: heap per instance', `${scale.memory.heapKiBPerInstance} KiB`],
          [
            'App Home, 60 machines: pure builder p50/p99',
            `${ms(scale.home.pureBuilderMs.p50, 2)} / ${ms(scale.home.pureBuilderMs.p99, 2)}`,
          ],
          [
            'App Home, 60 machines: with store reads p50/p99',
            `${ms(scale.home.withStoreReadsMs.p50, 2)} / ${ms(scale.home.withStoreReadsMs.p99, 2)}`,
          ],
          [
            'App Home paging',
            `blocks per page ${scale.home.pagesBlocks.join('/')}, ${scale.home.firstPage.bytes} bytes, Slack limits ${scale.home.allPagesValid ? 'ok' : 'VIOLATED'}`,
          ],
          [
            'reminder job, first / second pass',
            `${ms(scale.jobs.reminders.first.wallMs)} (${scale.jobs.reminders.first.acted} sent) / ${ms(scale.jobs.reminders.second.wallMs)}`,
          ],
          [
            'idle job (in-memory activity), first / second',
            `${ms(scale.jobs.idleSynthetic.first.wallMs)} (${scale.jobs.idleSynthetic.first.acted} acted) / ${ms(scale.jobs.idleSynthetic.second.wallMs)}`,
          ],
          [
            'idle job (metrics.k8s.io activity source)',
            `${ms(scale.jobs.idleMetricsApi.wallMs)}, ${scale.jobs.idleMetricsApi.http.list} list, ${scale.jobs.idleMetricsApi.http.get} GETs (no metrics-server here: 404)`,
          ],
        ],
      ),
    );
    const t = scale.targets;
    targets.push([
      'resync: zero per-instance GETs',
      `${per.reduce((a, x) => a + x.http.get, 0)} GETs in ${r.runs} resyncs`,
      yes(t.resyncZeroPerInstanceGets),
    ]);
    targets.push([
      'reminder job pass < 1 s',
      ms(scale.jobs.reminders.first.wallMs),
      yes(t.reminderJobUnder1s),
    ]);
    targets.push([
      'idle job pass < 1 s (activity in memory)',
      ms(scale.jobs.idleSynthetic.first.wallMs),
      yes(t.idleJobUnder1s),
    ]);
    targets.push([
      'idle job pass < 1 s (metrics.k8s.io source)',
      ms(scale.jobs.idleMetricsApi.wallMs),
      yes(t.idleJobWithMetricsApiUnder1s),
    ]);
    targets.push([
      'RSS < 300 MB',
      `${scale.memory.rssMB} MB (${scale.memory.rssMiB} MiB)`,
      yes(t.memoryUnder300MB),
    ]);
    targets.push([
      'App Home (60 machines) < 50 ms',
      ms(scale.home.withStoreReadsMs.p99, 2),
      yes(t.homeUnder50ms),
    ]);
    targets.push([
      'App Home within Slack limits',
      scale.home.allPagesValid ? 'ok' : 'violated',
      yes(t.homeWithinSlackLimits),
    ]);
  } else if (scale?.error) out.push(`\n3. Scale: FAILED — ${scale.error}`);

  const conc = results.concurrency as Any;
  if (conc?.targets) {
    out.push(
      table(
        `4. Concurrency: ${conc.method.requests} creates by ${conc.method.users} users at once (quota ${conc.method.quota.instances} machines / ${conc.method.quota.cpu} CPUs each)`,
        ['measure', 'value'],
        [
          [
            'accepted / refused inline / other',
            `${conc.accepted} / ${conc.refusedInline} / ${conc.method.requests - conc.accepted - conc.refusedInline}`,
          ],
          [
            'refusals',
            Object.entries(conc.refusalReasons)
              .map(([k, v]) => `${v}× ${k}`)
              .join('; ') || '—',
          ],
          [
            'answer time p50 / p99 / max (Slack allows 3 s)',
            `${ms(conc.answerMs.p50, 0)} / ${ms(conc.answerMs.p99, 0)} / ${ms(conc.answerMs.max, 0)}`,
          ],
          [
            'all answered / all accepted Running',
            `${ms(conc.allAnsweredMs, 0)} / ${ms(conc.allRunningMs, 0)}`,
          ],
          ['Pods in the cluster / accepted Running', `${conc.podsInCluster} / ${conc.runningAccepted}`],
          ['quota violations', conc.quotaViolations.length ? conc.quotaViolations.join('; ') : 'none'],
          [
            'API requests (list/get/watch/write)',
            `${conc.kubeRequests.list}/${conc.kubeRequests.get}/${conc.kubeRequests.watch}/${conc.kubeRequests.write}`,
          ],
        ],
      ),
    );
    targets.push([
      'quotas never exceeded',
      `${conc.quotaViolations.length} violations`,
      yes(conc.targets.quotasNeverExceeded),
    ]);
    targets.push([
      'every accepted instance Running',
      `${conc.runningAccepted}/${conc.accepted}`,
      yes(conc.targets.everyAcceptedRunning),
    ]);
    targets.push([
      'create answered within Slack’s 3 s',
      ms(conc.answerMs.max, 0),
      yes(conc.answerMs.max < 3000),
    ]);
  } else if (conc?.error) out.push(`\n4. Concurrency: FAILED — ${conc.error}`);

  const web = webTables(results.web, table);
  out.push(...web.text);
  targets.push(...web.targets);
  const login = results['first-login'] as Any;
  if (login?.stepsMs) {
    const names: Record<string, string> = {
      pvcBound: 'PVC bound (clone of the golden snapshot)',
      podScheduled: 'Pod scheduled',
      containerStarted: 'container started',
      sshdAccepting: 'sshd accepting',
      userTold: 'user told (notifier: running)',
      firstLogin: 'first successful ssh login',
    };
    out.push(
      table(
        `6. Create → first SSH login on the real node, ${login.creates} creates one at a time (ms after the create call; ${login.note})`,
        ['step', 'median', 'p95', 'max'],
        Object.entries(login.stepsMs as Record<string, Any>).map(([k, v]) => [
          names[k] ?? k,
          ms(v.median, 0),
          ms(v.p95, 0),
          ms(v.max, 0),
        ]),
      ),
      table(
        '6b. Clone step alone: PVC from the golden snapshot until Bound (median)',
        ['golden data / disk size', 'median'],
        Object.entries(login.cloneMedianMs as Record<string, number>).map(([k, v]) => [k, ms(v, 0)]),
      ),
    );
    targets.push([
      'clone time flat in golden data size (large/small)',
      `${login.cloneRatio.dataLargeOverSmall}×`,
      yes(login.cloneRatio.dataLargeOverSmall < 2),
    ]);
    targets.push([
      'clone time flat in disk size (500/30 GiB)',
      `${login.cloneRatio.disk500Over30}×`,
      yes(login.cloneRatio.disk500Over30 < 2),
    ]);
  } else if (login?.skipped)
    out.push(`
6. Create → first SSH login: skipped — ${login.skipped}`);
  else if (login?.error)
    out.push(`
6. Create → first SSH login: FAILED — ${login.error}`);

  const gw = results.gateway as Any;
  if (gw?.keyCommand) {
    const k = gw.keyCommand;
    const lat = (l: Lat) => [ms(l.p50, 2), ms(l.p90, 2), ms(l.p99, 2), ms(l.max, 2)];
    out.push(
      table(
        `7. SSH gateway: AuthorizedKeysCommand (the shipped script exec'd per call by a small process, as sshd does, against TiSpace's endpoint; ${k.store.machines} machines, ${k.store.users} users in the store; ${k.calls} calls, one at a time)`,
        ['what', 'p50', 'p90', 'p99', 'max'],
        [
          ['script process, all keys', ...lat(k.processWallMs)],
          ['script process, known keys', ...lat(k.knownKeyMs)],
          ['script process, unknown keys', ...lat(k.unknownKeyMs)],
          ["TiSpace's server time", ...lat(k.serverMs)],
          ['baseline: /bin/true (process start alone)', ...lat(k.processStartMs)],
          ['baseline: curl alone against a bare server', ...lat(k.bareCurlMs)],
          ...(k.processStartFromBenchProcessMs
            ? [
                [
                  '/bin/true exec’d by the bench process itself (large)',
                  ...lat(k.processStartFromBenchProcessMs),
                ],
              ]
            : []),
          [
            'ratio script / process start',
            `${k.overProcessStart.p50}×`,
            '',
            `${k.overProcessStart.p99}×`,
            '',
          ],
        ],
      ),
    );
    targets.push(['gateway key command p99 < 20 ms', ms(k.processWallMs.p99, 2), yes(k.target.met)]);
  }
  const setup = gw?.connectionSetup;
  if (setup?.viaGatewayMs) {
    const lat = (l: Lat) => [ms(l.p50, 0), ms(l.p90, 0), ms(l.p99, 0), ms(l.max, 0)];
    out.push(
      table(
        `7b. SSH connection setup (\`ssh … true\`, ${setup.rounds} each, alternating): through the gateway ${setup.medianRatio}× direct (+${setup.addedMedianMs} ms median)`,
        ['path', 'p50', 'p90', 'p99', 'max'],
        [
          ['through the gateway (ssh -J)', ...lat(setup.viaGatewayMs)],
          ["direct to the machine's ClusterIP", ...lat(setup.directMs)],
        ],
      ),
    );
  } else if (setup?.skipped) out.push(`\n7b. SSH connection setup: skipped — ${setup.skipped}`);
  if (gw?.error) out.push(`\n7. SSH gateway: FAILED — ${gw.error}`);

  if (targets.length) out.push(table('Targets', ['target', 'measured', 'verdict'], targets));
  return `${out.join('\n')}\n`;
}
