// Instance Pods are privileged, so TiSpace refuses to start unless the configured RuntimeClass (read from
// the real API server) has a Kata handler from config.kataHandlers (issue 14, item 9a): `npm start` exits
// with one message naming the class, its handler and the allowed handlers, and nothing is created.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type KubeConfig, NodeV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Provisioner } from '../../provisioner/api.ts';
import { namespaceConfig } from '../support/config.ts';
import { tempDbPath } from '../support/temp.ts';
import { kubeConfig, kubeconfigPath, repoRoot, useNamespace } from './support/cluster.ts';
import { startFaultProxy } from './support/fault-proxy.ts';

const ns = useNamespace('it-rtclass');
const suffix = randomBytes(3).toString('hex');
const runcClass = `it-runc-${suffix}`;
const qemuClass = `it-kata-qemu-${suffix}`;
const ALLOWED =
  'allowed handlers (kataHandlers in TISPACE_CONFIG): kata, kata-qemu, kata-clh, kata-fc, kata-dragonball, kata-stratovirt, kata-qemu-runtime-rs, kata-remote';

const nodeApi = () => kubeConfig().makeApiClient(NodeV1Api);

beforeAll(async () => {
  await nodeApi().createRuntimeClass({ body: { metadata: { name: runcClass }, handler: 'runc' } });
  await nodeApi().createRuntimeClass({ body: { metadata: { name: qemuClass }, handler: 'kata-qemu' } });
});
afterAll(async () => {
  for (const name of [runcClass, qemuClass])
    await nodeApi()
      .deleteRuntimeClass({ name })
      .catch(() => {});
});

const provisioner = (
  overrides: Record<string, unknown>,
  more: { kc?: KubeConfig; onRefused?: (m: string) => void } = {},
) =>
  new Provisioner({
    config: namespaceConfig(ns.name, overrides),
    kubeConfig: more.kc ?? kubeConfig(),
    store: tempDbPath(),
    log: pino({ level: 'silent' }),
    ...(more.onRefused ? { onRefused: more.onRefused } : {}),
  });

describe('start-up reads the configured RuntimeClass', () => {
  it('refuses a class whose handler is not Kata, naming class, handler and allowed handlers; starts nothing', async () => {
    const p = provisioner({ runtimeClassName: runcClass });
    try {
      const started = await p.start();
      expect(started.ok).toBe(false);
      expect(!started.ok && started.error.message).toBe(
        `RuntimeClass "${runcClass}" (runtimeClassName in TISPACE_CONFIG) has handler "runc", which is not a ` +
          `Kata handler; instance Pods are privileged and may only run in a Kata VM; ${ALLOWED}`,
      );
      expect(p.world.synced).toBe(false);
      expect(p.ready().ok).toBe(false);
    } finally {
      await p.stop();
    }
  });

  it('refuses a RuntimeClass that does not exist, and honours a configured allow-list', async () => {
    const missing = provisioner({ runtimeClassName: `it-missing-${suffix}` });
    const refused = await missing.start();
    await missing.stop();
    expect(!refused.ok && refused.error.message).toBe(
      `RuntimeClass "it-missing-${suffix}" (runtimeClassName in TISPACE_CONFIG) does not exist: apply ` +
        `kata/runtimeclass.yaml; its handler must be a Kata handler; ${ALLOWED}`,
    );
    // The platform's class `kata` (handler kata) is not Kata enough for an operator who allows only kata-clh.
    const strict = provisioner({ runtimeClassName: 'kata', kataHandlers: ['kata-clh'] });
    const strictStart = await strict.start();
    await strict.stop();
    expect(!strictStart.ok && strictStart.error.message).toMatch(
      /^RuntimeClass "kata" .* has handler "kata", which is not a Kata handler; .*: kata-clh$/,
    );
  });

  it('starts under any allowed Kata handler (kata-qemu) and becomes ready', async () => {
    const p = provisioner({ runtimeClassName: qemuClass });
    try {
      const started = await p.start();
      expect(started).toEqual({ ok: true, value: undefined });
      const deadline = Date.now() + 30_000;
      while (!p.ready().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(p.ready()).toEqual({ ok: true, store: true, kubernetes: true });
    } finally {
      await p.stop();
    }
  });

  it('during an API outage at start-up it serves but does not reconcile, and refuses once the class can be read', async () => {
    const proxy = await startFaultProxy(kubeConfig(), [{ matches: () => true, status: 503 }]);
    const refusals: string[] = [];
    const p = provisioner(
      { runtimeClassName: runcClass },
      { kc: proxy.kubeConfig, onRefused: (m) => refusals.push(m) },
    );
    try {
      expect((await p.start()).ok).toBe(true);
      expect(p.ready().ok).toBe(false);
      expect(proxy.failed).toContain(`GET /apis/node.k8s.io/v1/runtimeclasses/${runcClass}`);
      proxy.setRules([]);
      const deadline = Date.now() + 30_000;
      while (refusals.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(refusals).toEqual([
        expect.stringMatching(new RegExp(`^RuntimeClass "${runcClass}" .* has handler "runc"`)),
      ]);
      expect(p.ready().ok).toBe(false);
    } finally {
      await p.stop();
      await proxy.close();
    }
  });

  it('`npm start` with a runc RuntimeClass exits 1 with that one message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tispace-rtclass-'));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, `namespace: ${ns.name}\nruntimeClassName: ${runcClass}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
        // Nothing listens there: Slack is not needed to refuse.
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        GOOGLE_CLIENT_ID: 'cid',
        GOOGLE_CLIENT_SECRET: 'cs',
        GOOGLE_ALLOWED_DOMAINS: 'corp.com',
        PUBLIC_URL: 'http://127.0.0.1:3000',
        TISPACE_SECRET: 'x'.repeat(40),
        TISPACE_GATEWAY_TOKEN: 'g'.repeat(40),
        KUBECONFIG: kubeconfigPath(),
        TISPACE_CONFIG: config,
        TISPACE_DB_PATH: path.join(dir, 'tispace.db'),
        PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 45_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toBe(
      'TiSpace cannot start:\n' +
        `  - RuntimeClass "${runcClass}" (runtimeClassName in TISPACE_CONFIG) has handler "runc", which is not a ` +
        `Kata handler; instance Pods are privileged and may only run in a Kata VM; ${ALLOWED}\n`,
    );
  }, 60_000);
});
