// `npm run bench [-- --only ack,provision,scale,concurrency,web,first-login,gateway] [--quick] [--out file]`
// Runs the benchmarks against the local control plane (started if needed, left as found), prints a table
// and writes every figure as JSON (.cache/bench/results.json by default). See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/cluster/paths.ts';
import { ackBench } from './ack/index.ts';
import { concurrencyBench } from './concurrency.ts';
import { firstLoginBench } from './first-login.ts';
import { gatewayBench } from './gateway.ts';
import {
  acquireControlPlane,
  cleanupLeftovers,
  deleteBenchNodes,
  ensureBenchNodes,
  loadKubeConfig,
  log,
} from './lib/cluster.ts';
import { provisionBench } from './provision.ts';
import { renderTable } from './report.ts';
import { scaleBench } from './scale/index.ts';
import { webBench } from './web/index.ts';

const SECTIONS = ['ack', 'provision', 'scale', 'concurrency', 'web', 'first-login', 'gateway'] as const;
/** Sections that need no cluster (the web section reads only its SQLite file). */
const OFFLINE: readonly Section[] = ['web'];
/** Sections that use the cluster only on the real node (as root): without it they run their offline part. */
const REAL_NODE_ONLY: readonly Section[] = ['gateway'];
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: string[]) {
  let only: Section[] = [...SECTIONS];
  let quick = false;
  let out = path.join(repoRoot, '.cache', 'bench', 'results.json');
  let instances: number | undefined;
  let cleanup = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a.startsWith('--only')) {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (bad.length)
        throw new Error(`unknown section(s) ${bad.join(', ')}; choose from ${SECTIONS.join(', ')}`);
      only = SECTIONS.filter((s) => names.includes(s));
    } else if (a.startsWith('--out')) out = path.resolve(value());
    else if (a.startsWith('--instances')) instances = Number(value());
    else if (a === '--cleanup') cleanup = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'npm run bench -- [--only ack,provision,scale,concurrency,web,first-login,gateway] [--quick] [--instances N] [--out file] [--cleanup]\n' +
          '  --cleanup: only delete what an interrupted run left behind (bench-* namespaces, bench nodes, StorageClass)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return { only, quick, out, instances, cleanup };
}

function machine() {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    nproc: Number(sh('nproc', [])) || os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    freeH: sh('free', ['-h']),
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    quick: args.quick,
    sections: args.only,
    machine: machine(),
  };
  // first-login and gateway boot machines on the real node (kubelet + patched cri-o): as root only.
  const realNode =
    args.only.some((s) => s === 'first-login' || s === 'gateway') &&
    process.getuid?.() === 0 &&
    process.env.TISPACE_REAL_NODE !== '0';
  if (args.cleanup) {
    const lease = await acquireControlPlane();
    try {
      await cleanupLeftovers(loadKubeConfig(lease.kubeconfig));
    } finally {
      await lease.release();
    }
    return;
  }
  // The control plane only when a selected section uses it (`--only web` runs without one).
  const lease = args.only.some((s) => !OFFLINE.includes(s) && (realNode || !REAL_NODE_ONLY.includes(s)))
    ? await acquireControlPlane({ realNode })
    : undefined;
  const kc = lease ? loadKubeConfig(lease.kubeconfig) : undefined;
  const save = () => {
    mkdirSync(path.dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  };
  const ctx = kc && lease ? { kc, kubeconfig: lease.kubeconfig, quick: args.quick } : undefined;
  const cluster = () => {
    if (!ctx) throw new Error('no control plane acquired');
    return ctx;
  };
  const scaleInstances = args.instances ?? (args.quick ? 1000 : 10_000);
  const nodes = args.only.includes('scale') ? (args.quick ? 20 : 200) : 8;
  let failed = false;
  const onSignal = () => {
    log('[bench] interrupted; cleaning up (bench nodes, namespaces) …');
    failed = true;
  };
  process.once('SIGINT', onSignal);
  try {
    if (kc) {
      log(`[bench] creating ${nodes} bench nodes (KWOK)`);
      await ensureBenchNodes(kc, nodes);
    }
    for (const section of args.only) {
      if (failed) break;
      const t0 = Date.now();
      log(`[bench] ---- ${section} ----`);
      try {
        switch (section) {
          case 'ack':
            results.ack = await ackBench(cluster());
            break;
          case 'provision':
            results.provision = await provisionBench(cluster());
            break;
          case 'scale':
            results.scale = await scaleBench({ ...cluster(), instances: scaleInstances, nodes });
            break;
          case 'concurrency':
            results.concurrency = await concurrencyBench(cluster());
            break;
          case 'web':
            results.web = await webBench({ quick: args.quick });
            break;
          case 'gateway':
            results.gateway = await gatewayBench({ quick: args.quick, kc, realNode });
            break;
          case 'first-login':
            results['first-login'] = realNode
              ? await firstLoginBench(cluster())
              : { skipped: 'needs root and the real node (TISPACE_REAL_NODE=0 turns it off)' };
            break;
        }
      } catch (error) {
        failed = true;
        log(
          `[bench] ${section} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        results[section] = { error: error instanceof Error ? error.message : String(error) };
      }
      log(`[bench] ${section} took ${Math.round((Date.now() - t0) / 1000)} s`);
      save(); // after every section, so an interrupted run keeps what it measured
    }
  } finally {
    if (kc && lease) {
      const removed = await deleteBenchNodes(kc).catch((e: unknown) => {
        log(`[bench] could not delete bench nodes: ${String(e)}`);
        return -1;
      });
      log(`[bench] deleted ${removed} bench nodes`);
      await lease.release();
    }
  }
  results.totalSeconds = Math.round((Date.now() - started) / 1000);
  (results.machine as Record<string, unknown>).loadAvgAtEnd = os
    .loadavg()
    .map((x) => Math.round(x * 100) / 100);
  save();
  process.stdout.write(renderTable(results));
  process.stdout.write(
    `\nJSON: ${path.relative(process.cwd(), args.out)}  (total ${results.totalSeconds} s)\n`,
  );
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  log(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
