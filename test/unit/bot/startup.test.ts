// `npm start` with a broken environment stops with one message listing every problem: exit 1, no stack.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLogger, scrub } from '../../../bot/logger.ts';

const root = path.resolve(import.meta.dirname, '../../..');

describe('start-up', () => {
  it('refuses a bad environment with one message and exit code 1', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: 'http',
        SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        'TiSpace cannot start:',
        '  - SLACK_BOT_TOKEN is required (the bot token, xoxb-…)',
        '  - PORT must be a port number (0–65535)',
        '  - GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are required (an OAuth client of your Google Workspace): users link their Google account before they may provision',
        '  - GOOGLE_ALLOWED_DOMAINS is required for Google sign-in (e.g. example.com)',
        '  - PUBLIC_URL is required for Google sign-in (the callback URL base)',
        '  - TISPACE_SECRET is required for Google sign-in',
        "  - TISPACE_GATEWAY_TOKEN is required: the SSH gateway authenticates to TiSpace with it (openssl rand -hex 32; the same value in the gateway's Secret)",
        '',
      ].join('\n'),
    );
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  }, 40_000);

  it('refuses the placeholders of the example Secret, naming each setting and never echoing them', () => {
    const secret = parse(readFileSync(path.join(root, 'manifests/overlays/example/secret.yaml'), 'utf8')) as {
      stringData: Record<string, string>;
    };
    const gateway = parse(
      readFileSync(path.join(root, 'manifests/overlays/example/gateway-secret.yaml'), 'utf8'),
    ) as { stringData: Record<string, string> };
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...secret.stringData,
        // The Deployment maps the gateway Secret's token to this variable.
        TISPACE_GATEWAY_TOKEN: gateway.stringData.token,
        GOOGLE_ALLOWED_DOMAINS: 'corp.example',
        PUBLIC_URL: 'https://tispace.corp.example',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  - '))).toEqual([
      '  - SLACK_BOT_TOKEN is still a placeholder: set the bot token from Slack (OAuth & Permissions)',
      '  - SLACK_SIGNING_SECRET is still a placeholder: set the Signing Secret from Slack (Basic Information)',
      '  - SLACK_SIGNING_SECRET must be 32 hexadecimal characters, as Slack issues it (Basic Information → Signing Secret)',
      '  - GOOGLE_CLIENT_ID is still a placeholder: set the OAuth client id from Google Cloud (APIs & Services → Credentials)',
      '  - GOOGLE_CLIENT_SECRET is still a placeholder: set the OAuth client secret from Google Cloud (APIs & Services → Credentials)',
      '  - TISPACE_SECRET is still a placeholder: set a random value (openssl rand -hex 32)',
      "  - TISPACE_GATEWAY_TOKEN is still a placeholder: set a random value (openssl rand -hex 32), the same in the gateway's Secret",
    ]);
    expect(r.stderr).not.toContain('REPLACE-ME');
  }, 40_000);

  it('refuses the example values of .env.example', () => {
    const example = Object.fromEntries(
      readFileSync(path.join(root, '.env.example'), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bot/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...example },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'GOOGLE_CLIENT_ID',
      'GOOGLE_CLIENT_SECRET',
      'TISPACE_SECRET',
      'TISPACE_GATEWAY_TOKEN',
    ])
      expect(r.stderr).toContain(`  - ${name} is still a placeholder`);
  }, 40_000);
});

describe('logger', () => {
  it('scrubs private keys and Slack tokens from every log line', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _e, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const key =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    log.info({ text: `key add ${key}`, nested: { token: 'xoxb-123-secret' } }, `got ${key}`);
    log.error({ err: new Error(`failed on ${key}`) }, 'boom');
    const out = lines.join('');
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(out).not.toContain('xoxb-123-secret');
    expect(out).toContain('[redacted]');
    expect(scrub('token xoxb-1-2-3 and xapp-9')).toBe('token [redacted] and [redacted]');
  });
});
