// Slack request signing (v0) and helpers that post signed requests over real HTTP, the way Slack
// delivers slash commands (form), interactivity (form: payload=<json>) and Events API callbacks (JSON).
import { createHmac } from 'node:crypto';

export interface SignInput {
  signingSecret: string;
  body: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number | string;
}

export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

export function signSlackRequest({ signingSecret, body, timestamp }: SignInput): SlackSignatureHeaders {
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${sig}`, 'x-slack-request-timestamp': ts };
}

export interface SignedPostResult {
  status: number;
  headers: Record<string, string>;
  /** Raw response text. */
  text: string;
  /** Parsed JSON when the response is JSON, else undefined. */
  json: unknown;
  /** Wall time of the round trip in milliseconds. */
  ms: number;
}

export interface PostOptions {
  /** Override the signing timestamp (seconds), e.g. to test the 5-minute window. */
  timestamp?: number;
  /** Replace the computed signature (negative tests). */
  signature?: string;
  headers?: Record<string, string>;
  /** Abort after this many ms (default 10 s). */
  timeoutMs?: number;
}

export async function postSigned(
  url: string,
  signingSecret: string,
  body: string,
  contentType: string,
  opts: PostOptions = {},
): Promise<SignedPostResult> {
  const signed = signSlackRequest({ signingSecret, body, timestamp: opts.timestamp });
  if (opts.signature !== undefined) signed['x-slack-signature'] = opts.signature;
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...signed, ...opts.headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: unknown;
  if (text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), text, json, ms };
}

export interface SlashCommandInput {
  command: string;
  text?: string;
  user_id: string;
  user_name?: string;
  team_id: string;
  team_domain?: string;
  channel_id?: string;
  channel_name?: string;
  trigger_id?: string;
  response_url?: string;
  api_app_id?: string;
  token?: string;
  [extra: string]: string | undefined;
}

/** The form body Slack sends for a slash command (field order as Slack sends it). */
export function slashCommandBody(cmd: SlashCommandInput): string {
  const fields: Record<string, string> = {
    token: cmd.token ?? 'fake-verification-token',
    team_id: cmd.team_id,
    team_domain: cmd.team_domain ?? 'fake',
    channel_id: cmd.channel_id ?? `D${cmd.user_id}`,
    channel_name: cmd.channel_name ?? 'directmessage',
    user_id: cmd.user_id,
    user_name: cmd.user_name ?? cmd.user_id.toLowerCase(),
    command: cmd.command,
    text: cmd.text ?? '',
    api_app_id: cmd.api_app_id ?? 'AFAKEAPP',
    is_enterprise_install: 'false',
    response_url: cmd.response_url ?? '',
    trigger_id: cmd.trigger_id ?? '',
  };
  for (const [k, v] of Object.entries(cmd)) if (!(k in fields) && v !== undefined) fields[k] = v;
  return new URLSearchParams(fields).toString();
}

export function postCommand(
  url: string,
  signingSecret: string,
  cmd: SlashCommandInput,
  opts?: PostOptions,
): Promise<SignedPostResult> {
  return postSigned(url, signingSecret, slashCommandBody(cmd), 'application/x-www-form-urlencoded', opts);
}

/** block_actions, view_submission, view_closed, shortcut...: form body `payload=<json>`. */
export function postInteraction(
  url: string,
  signingSecret: string,
  payload: Record<string, unknown>,
  opts?: PostOptions,
): Promise<SignedPostResult> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postSigned(url, signingSecret, body, 'application/x-www-form-urlencoded', opts);
}

export interface EventEnvelopeOptions extends PostOptions {
  team_id?: string;
  api_app_id?: string;
  event_id?: string;
  event_time?: number;
  /** Extra envelope fields (authorizations, is_ext_shared_channel...). */
  envelope?: Record<string, unknown>;
}

let eventSeq = 0;

/** Wraps `event` in an event_callback envelope and posts it as JSON. */
export function postEvent(
  url: string,
  signingSecret: string,
  event: Record<string, unknown>,
  opts: EventEnvelopeOptions = {},
): Promise<SignedPostResult> {
  eventSeq += 1;
  const teamId = opts.team_id ?? 'TFAKE';
  const body = JSON.stringify({
    token: 'fake-verification-token',
    team_id: teamId,
    api_app_id: opts.api_app_id ?? 'AFAKEAPP',
    event,
    type: 'event_callback',
    event_id: opts.event_id ?? `Ev${String(eventSeq).padStart(8, '0')}`,
    event_time: opts.event_time ?? Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UFAKEBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    ...opts.envelope,
  });
  return postSigned(url, signingSecret, body, 'application/json', opts);
}
