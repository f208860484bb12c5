// TiSpace starts and stays up while Slack and Kubernetes are both unreachable: health answers, readiness
// says not ready, and nothing crashes the process (Bolt's eager auth.test used to).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';

const root = path.resolve(import.meta.dirname, '../../..');

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('start-up while Slack and Kubernetes are down', () => {
  it('serves /healthz, reports not ready, survives Slack failures, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tispace-outage-'));
    const dead = await freePort();
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${dead}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    const port = await freePort();
    const output: string[] = [];
    child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
        SLACK_API_URL: `http://127.0.0.1:${dead}/api/`,
        GOOGLE_CLIENT_ID: 'cid',
        GOOGLE_CLIENT_SECRET: 'cs',
        GOOGLE_ALLOWED_DOMAINS: 'corp.com',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        TISPACE_SECRET: 'x'.repeat(40),
        TISPACE_GATEWAY_TOKEN: 'g'.repeat(40),
        KUBECONFIG: kubeconfig,
        TISPACE_DB_PATH: path.join(dir, 'tispace.db'),
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => output.push(String(d)));
    child.stderr?.on('data', (d) => output.push(String(d)));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    const get = async (p: string) => {
      for (let i = 0; i < 100; i++) {
        try {
          return await fetch(`http://127.0.0.1:${port}${p}`);
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error(`no answer on ${p}: ${output.join('')}`);
    };
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    // Long enough for the Slack client's retries to give up.
    await new Promise((r) => setTimeout(r, 6000));
    expect(child.exitCode).toBeNull();
    expect((await get('/healthz')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.join('')).not.toMatch(/Unhandled|WebAPIRequestError: A request error/);
  }, 60_000);
});
