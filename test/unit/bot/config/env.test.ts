import { describe, expect, it } from 'vitest';
import { googleSettings, parseEnv } from '../../../../bot/config/env.ts';

const google = {
  GOOGLE_CLIENT_ID: 'cid',
  GOOGLE_CLIENT_SECRET: 'cs',
  GOOGLE_ALLOWED_DOMAINS: 'example.com',
  PUBLIC_URL: 'https://tispace.example.com',
  TISPACE_SECRET: 'x'.repeat(32),
};
const gatewayToken = { TISPACE_GATEWAY_TOKEN: 'g'.repeat(32) };
const base = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  ...google,
  ...gatewayToken,
};

describe('parseEnv', () => {
  it('refuses to start without the SSH gateway token, since nobody could log in', () => {
    const { TISPACE_GATEWAY_TOKEN: _, ...withoutToken } = base;
    const r = parseEnv(withoutToken);
    expect(r).toEqual({
      ok: false,
      problems: [
        "TISPACE_GATEWAY_TOKEN is required: the SSH gateway authenticates to TiSpace with it (openssl rand -hex 32; the same value in the gateway's Secret)",
      ],
    });
    expect(
      parseEnv({ ...base, TISPACE_GATEWAY_TOKEN: 'REPLACE-ME-gateway-token-of-32-chars' }),
    ).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('TISPACE_GATEWAY_TOKEN is still a placeholder')],
    });
  });

  it('applies the defaults', () => {
    const r = parseEnv(base);
    expect(r).toMatchObject({
      ok: true,
      env: {
        PORT: 3000,
        LOG_LEVEL: 'info',
        TISPACE_DB_PATH: './data/tispace.db',
        TISPACE_NAMESPACE: 'tispace',
        GOOGLE_ALLOWED_DOMAINS: ['example.com'],
      },
    });
    if (r.ok) expect(googleSettings(r.env)?.clientId).toBe('cid');
  });

  it('lists every problem at once, naming the setting and what is allowed, never the secret values', () => {
    const r = parseEnv({
      SLACK_BOT_TOKEN: 'xoxp-user',
      PORT: '99999',
      LOG_LEVEL: 'loud',
      SLACK_API_URL: 'nope',
      GOOGLE_CLIENT_ID: 'id',
      TISPACE_SECRET: 'tooshort-secret',
      TISPACE_GATEWAY_TOKEN: 'short-gateway-token',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'SLACK_BOT_TOKEN must be a bot token starting with xoxb-',
      'SLACK_API_URL must be an absolute http(s) URL',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'PORT must be a port number (0–65535)',
      'TISPACE_GATEWAY_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)',
      'SLACK_SIGNING_SECRET is required (Basic Information → Signing Secret) unless SLACK_APP_TOKEN selects Socket Mode',
      'GOOGLE_CLIENT_SECRET is required with GOOGLE_CLIENT_ID',
      'GOOGLE_ALLOWED_DOMAINS is required for Google sign-in (e.g. example.com)',
      'PUBLIC_URL is required for Google sign-in (the callback URL base)',
      'TISPACE_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)',
    ]);
    expect(r.problems.join()).not.toContain('tooshort-secret');
    expect(r.problems.join()).not.toContain('short-gateway-token');
  });

  it('Socket Mode needs no signing secret; Google settings come together', () => {
    const r = parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      GOOGLE_CLIENT_ID: 'cid',
      GOOGLE_CLIENT_SECRET: 'cs',
      GOOGLE_ALLOWED_DOMAINS: 'Example.com, example.org',
      PUBLIC_URL: 'https://tispace.example.com',
      TISPACE_SECRET: 'x'.repeat(32),
      ...gatewayToken,
      GOOGLE_TOKEN_URL: 'http://127.0.0.1:9999/token',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(googleSettings(r.env)).toEqual({
      clientId: 'cid',
      clientSecret: 'cs',
      allowedDomains: ['example.com', 'example.org'],
      publicUrl: 'https://tispace.example.com',
      secret: 'x'.repeat(32),
      endpoints: { tokenUrl: 'http://127.0.0.1:9999/token' },
    });
  });
});

describe('parseEnv in dev mode (npm run dev)', () => {
  it('needs neither Slack nor Google', () => {
    const r = parseEnv({}, { dev: true });
    expect(r.ok).toBe(true);
    if (r.ok) expect(googleSettings(r.env)).toBeUndefined();
  });

  it('still requires what is given to be complete', () => {
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1' }, { dev: true })).toEqual({
      ok: false,
      problems: ['SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET'],
    });
    expect(parseEnv({ SLACK_APP_TOKEN: 'xapp-1' }, { dev: true })).toEqual({
      ok: false,
      problems: ['SLACK_BOT_TOKEN is required with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET'],
    });
    const partial = parseEnv({ GOOGLE_CLIENT_ID: 'cid' }, { dev: true });
    expect(partial.ok).toBe(false);
    if (!partial.ok)
      expect(partial.problems).toContain('GOOGLE_CLIENT_SECRET is required for Google sign-in');
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, { dev: true }).ok).toBe(true);
  });

  it('is never the default: without it Slack and Google stay required', () => {
    const r = parseEnv({});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]).toBe('SLACK_BOT_TOKEN is required (the bot token, xoxb-…)');
      expect(r.problems.join('\n')).toContain('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are required');
    }
  });
});
