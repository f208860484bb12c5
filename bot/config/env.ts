import { z } from 'zod';

const url = (name: string) =>
  z.url({ message: `${name} must be an absolute http(s) URL` }).refine((u) => /^https?:\/\//.test(u), {
    message: `${name} must be an absolute http(s) URL`,
  });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  // Required (crossProblems) except in `npm run dev`, where Slack is optional.
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), {
    message: 'SLACK_BOT_TOKEN must be a bot token starting with xoxb-',
  }),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), {
    message: 'SLACK_APP_TOKEN must be an app-level token starting with xapp-',
  }),
  SLACK_API_URL: optionalText.pipe(url('SLACK_API_URL').optional()),
  TISPACE_CONFIG: optionalText,
  TISPACE_DB_PATH: optionalText.transform((v) => v ?? './data/tispace.db'),
  TISPACE_NAMESPACE: optionalText
    .transform((v) => v ?? 'tispace')
    .pipe(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'TISPACE_NAMESPACE must be a DNS-1123 label')),
  KUBECONFIG: optionalText,
  LOG_LEVEL: optionalText
    .transform((v) => v ?? 'info')
    .pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      }),
    ),
  PORT: optionalText
    .transform((v) => v ?? '3000')
    .pipe(z.string().regex(/^\d{1,5}$/, 'PORT must be a port number (0–65535)'))
    .transform(Number)
    .refine((n) => n <= 65535, 'PORT must be a port number (0–65535)'),
  PUBLIC_URL: optionalText.pipe(url('PUBLIC_URL').optional()),
  /** Address to listen on (default: every interface; `npm run dev`: 127.0.0.1). */
  HOST: optionalText,
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  GOOGLE_ALLOWED_DOMAINS: optionalText.transform((v) =>
    v
      ? v
          .split(',')
          .map((d) => d.trim().toLowerCase())
          .filter(Boolean)
      : [],
  ),
  TISPACE_SECRET: optionalText,
  /** Shared with the SSH gateway (its AuthorizedKeysCommand and session reports); unset = no gateway routes. */
  TISPACE_GATEWAY_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 32, {
    message: 'TISPACE_GATEWAY_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)',
  }),
  GOOGLE_AUTH_URL: optionalText.pipe(url('GOOGLE_AUTH_URL').optional()),
  GOOGLE_TOKEN_URL: optionalText.pipe(url('GOOGLE_TOKEN_URL').optional()),
  GOOGLE_CERTS_URL: optionalText.pipe(url('GOOGLE_CERTS_URL').optional()),
});

/** Where each secret comes from, for the message that asks for the real value. */
const secretSources: Record<string, string> = {
  SLACK_BOT_TOKEN: 'set the bot token from Slack (OAuth & Permissions)',
  SLACK_SIGNING_SECRET: 'set the Signing Secret from Slack (Basic Information)',
  SLACK_APP_TOKEN: 'set the app-level token from Slack (Basic Information → App-Level Tokens)',
  GOOGLE_CLIENT_ID: 'set the OAuth client id from Google Cloud (APIs & Services → Credentials)',
  GOOGLE_CLIENT_SECRET: 'set the OAuth client secret from Google Cloud (APIs & Services → Credentials)',
  TISPACE_SECRET: 'set a random value (openssl rand -hex 32)',
  TISPACE_GATEWAY_TOKEN: "set a random value (openssl rand -hex 32), the same in the gateway's Secret",
};

/**
 * Values the shipped examples (.env.example, the example overlay's Secret) use, and the markers
 * people type in their place: an install copied from the docs must not start with them.
 */
const placeholderPattern =
  /replace.?me|change.?me|your-[a-z-]*(token|secret)|^xox[bp]-your|^xapp-your|<[^>]*>|…/i;
const exampleValues = new Set([
  '1234567890-abc.apps.googleusercontent.com',
  'replace-with-output-of-openssl-rand-hex-32-000000',
]);

function isPlaceholder(value: string): boolean {
  return placeholderPattern.test(value) || exampleValues.has(value);
}

/** Rules across settings; read from the raw values so they are reported even when others are malformed. */
function crossProblems(raw: Record<string, string | undefined>, dev: boolean): string[] {
  const v = (name: string) => (raw[name]?.trim() ? raw[name]!.trim() : undefined);
  const problems: string[] = [];
  for (const [name, source] of Object.entries(secretSources)) {
    const value = v(name);
    if (value !== undefined && isPlaceholder(value))
      problems.push(`${name} is still a placeholder: ${source}`);
    if (name === 'SLACK_SIGNING_SECRET' && value !== undefined && !/^[0-9a-f]{32}$/i.test(value))
      problems.push(
        'SLACK_SIGNING_SECRET must be 32 hexadecimal characters, as Slack issues it (Basic Information → Signing Secret)',
      );
  }
  // Dev mode checks the same values, but needs neither Slack nor Google.
  if (dev) return [...problems, ...devProblems(v)];
  if (!v('SLACK_APP_TOKEN') && !v('SLACK_SIGNING_SECRET'))
    problems.push(
      'SLACK_SIGNING_SECRET is required (Basic Information → Signing Secret) unless SLACK_APP_TOKEN selects Socket Mode',
    );
  // Users must link their Google Workspace account before they may provision: without Google sign-in
  // nobody could do anything, so it is required, not optional.
  if (!v('GOOGLE_CLIENT_ID') && !v('GOOGLE_CLIENT_SECRET')) {
    problems.push(
      'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are required (an OAuth client of your Google Workspace): users link their Google account before they may provision',
    );
  }
  if (v('GOOGLE_CLIENT_SECRET') && !v('GOOGLE_CLIENT_ID'))
    problems.push('GOOGLE_CLIENT_ID is required with GOOGLE_CLIENT_SECRET');
  if (v('GOOGLE_CLIENT_ID') && !v('GOOGLE_CLIENT_SECRET'))
    problems.push('GOOGLE_CLIENT_SECRET is required with GOOGLE_CLIENT_ID');
  if (!v('GOOGLE_ALLOWED_DOMAINS'))
    problems.push('GOOGLE_ALLOWED_DOMAINS is required for Google sign-in (e.g. example.com)');
  if (!v('PUBLIC_URL')) problems.push('PUBLIC_URL is required for Google sign-in (the callback URL base)');
  if (!v('TISPACE_SECRET')) problems.push('TISPACE_SECRET is required for Google sign-in');
  const secret = v('TISPACE_SECRET');
  if (secret !== undefined && secret.length < 32)
    problems.push('TISPACE_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)');
  // Every login goes through the SSH gateway, which asks TiSpace with this token: without it nobody can log in.
  if (!v('TISPACE_GATEWAY_TOKEN'))
    problems.push(
      "TISPACE_GATEWAY_TOKEN is required: the SSH gateway authenticates to TiSpace with it (openssl rand -hex 32; the same value in the gateway's Secret)",
    );
  return problems;
}

/**
 * `npm run dev`: Slack and Google are optional (the web's one-time link signs in a local admin), but what
 * is given must be complete.
 */
function devProblems(v: (name: string) => string | undefined): string[] {
  const problems: string[] = [];
  if (v('SLACK_BOT_TOKEN') && !v('SLACK_APP_TOKEN') && !v('SLACK_SIGNING_SECRET'))
    problems.push('SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET');
  if ((v('SLACK_APP_TOKEN') || v('SLACK_SIGNING_SECRET')) && !v('SLACK_BOT_TOKEN'))
    problems.push('SLACK_BOT_TOKEN is required with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET');
  if (v('GOOGLE_CLIENT_ID') || v('GOOGLE_CLIENT_SECRET')) {
    for (const name of [
      'GOOGLE_CLIENT_ID',
      'GOOGLE_CLIENT_SECRET',
      'GOOGLE_ALLOWED_DOMAINS',
      'TISPACE_SECRET',
    ])
      if (!v(name)) problems.push(`${name} is required for Google sign-in`);
    const secret = v('TISPACE_SECRET');
    if (secret !== undefined && secret.length < 32)
      problems.push('TISPACE_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)');
  }
  return problems;
}

export type Env = z.output<typeof envSchema>;

/** Google sign-in settings (parseEnv refuses an environment without them). */
export interface GoogleSettings {
  clientId: string;
  clientSecret: string;
  /** GOOGLE_ALLOWED_DOMAINS: the ID token's hd must equal one of these exactly. */
  allowedDomains: string[];
  /** PUBLIC_URL: where the browser reaches TiSpace (the sign-in routes are under it). */
  publicUrl: string;
  /** TISPACE_SECRET: signs the state tickets. */
  secret: string;
  /** GOOGLE_AUTH_URL / GOOGLE_TOKEN_URL / GOOGLE_CERTS_URL: replace Google's endpoints (tests, proxies). */
  endpoints?: { authUrl?: string; tokenUrl?: string; certsUrl?: string };
}

export function googleSettings(env: Env): GoogleSettings | undefined {
  if (!env.GOOGLE_CLIENT_ID || !env.GOOGLE_CLIENT_SECRET || !env.PUBLIC_URL || !env.TISPACE_SECRET)
    return undefined;
  const endpoints = {
    ...(env.GOOGLE_AUTH_URL ? { authUrl: env.GOOGLE_AUTH_URL } : {}),
    ...(env.GOOGLE_TOKEN_URL ? { tokenUrl: env.GOOGLE_TOKEN_URL } : {}),
    ...(env.GOOGLE_CERTS_URL ? { certsUrl: env.GOOGLE_CERTS_URL } : {}),
  };
  return {
    clientId: env.GOOGLE_CLIENT_ID,
    clientSecret: env.GOOGLE_CLIENT_SECRET,
    allowedDomains: env.GOOGLE_ALLOWED_DOMAINS,
    publicUrl: env.PUBLIC_URL,
    secret: env.TISPACE_SECRET,
    ...(Object.keys(endpoints).length ? { endpoints } : {}),
  };
}

/** Parses the environment; every problem is listed (one line each), values of secrets never are. */
export function parseEnv(
  source: Record<string, string | undefined>,
  options: { dev?: boolean } = {},
): { ok: true; env: Env } | { ok: false; problems: string[] } {
  const parsed = envSchema.safeParse(source);
  const missingToken =
    !options.dev && !source.SLACK_BOT_TOKEN?.trim()
      ? ['SLACK_BOT_TOKEN is required (the bot token, xoxb-…)']
      : [];
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '');
        return issue.message.includes(name) || !name ? issue.message : `${name}: ${issue.message}`;
      });
  problems.unshift(...missingToken);
  problems.push(...crossProblems(source, options.dev ?? false));
  if (parsed.success && problems.length === 0) return { ok: true, env: parsed.data };
  return { ok: false, problems: [...new Set(problems)] };
}
