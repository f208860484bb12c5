// A fake Slack Web API server that answers like Slack: HTTP 200 with `{ok:false,error}` for platform errors,
// HTTP 429 + Retry-After when rate limited, Block Kit validation, single-use expiring trigger ids, view hashes,
// response_url hooks with their use and age limits. Everything is recorded for assertions.
//
// Give `fake.url` to Bolt (`clientOptions.slackApiUrl`) or to `new WebClient(token, { slackApiUrl })`.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from '../http-send.ts';
import { messageTextTooLong, validateMessageBlocks, validateView } from './block-kit-limits.ts';

// ---------- public types ----------

export interface FakeSlackUser {
  id: string;
  team_id?: string;
  name?: string;
  real_name?: string;
  tz?: string;
  tz_label?: string;
  tz_offset?: number;
  deleted?: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
  /** Shorthand for profile.email. */
  email?: string;
  profile?: { email?: string; real_name?: string; display_name?: string; [k: string]: unknown };
}

export interface FakeSlackOptions {
  /** Accepted bot token(s). Default 'xoxb-fake-token'. */
  token?: string | string[];
  teamId?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  users?: FakeSlackUser[];
  /** Known channel ids (public/private channels). DMs of known users are always known. */
  channels?: string[];
  /** Clock in ms since the epoch (trigger expiry, response_url expiry, tier windows, ts). Default Date.now. */
  now?: () => number;
  /** Automatic per-method tier limits (Tier 1..4 per minute). Off by default. */
  tierLimits?: boolean;
  /** trigger_id lifetime, default 3000 ms. */
  triggerTtlMs?: number;
  host?: string;
  port?: number;
}

export interface FakeSlackCall {
  /** Sequence number, 1-based, increasing across all calls. */
  seq: number;
  /** Web API method, or 'response_url' for posts to a minted response_url. */
  method: string;
  /** Parsed arguments (JSON-encoded fields like blocks/view decoded); `token` removed. */
  args: Record<string, unknown>;
  token: string | undefined;
  contentType: string | undefined;
  /** Fake clock time of the call. */
  at: number;
  status: number;
  response: Record<string, unknown>;
}

export interface FakeMessageVersion {
  text: string | undefined;
  blocks: unknown[] | undefined;
  at: number;
  by: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts: string | undefined;
  user: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  metadata: unknown;
  deleted: boolean;
  /** Every version, oldest first; the last is current. */
  history: FakeMessageVersion[];
}

export interface FakeEphemeral {
  source: 'chat.postEphemeral' | 'response_url';
  channel: string;
  user: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  /** For response_url posts: the raw body (response_type, replace_original, delete_original...). */
  body: Record<string, unknown>;
  message_ts: string;
  at: number;
}

export interface FakeView {
  id: string;
  type: 'modal' | 'home';
  /** Owner: the user who opened the modal (from the trigger) or whose home it is. */
  user: string | undefined;
  team_id: string;
  app_id: string;
  bot_id: string;
  hash: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  notify_on_close: boolean;
  clear_on_close: boolean;
  state: { values: Record<string, unknown> };
  root_view_id: string | null;
  previous_view_id: string | null;
  /** Every version of the view object as sent, oldest first. */
  history: Record<string, unknown>[];
  open: boolean;
}

export interface FakeSlackViews {
  /** Published App Home per user id. */
  home: Map<string, FakeView>;
  /** All modals by view id (closed ones keep `open: false`). */
  modals: Map<string, FakeView>;
  /** Open modal stack of a user, bottom first. */
  stack(user: string): FakeView[];
  byId(id: string): FakeView | undefined;
}

export interface RateLimitSpec {
  /** How many of the next calls answer 429. Default 1. */
  times?: number;
  /** Retry-After seconds. Default 1. */
  retryAfterSeconds?: number;
}

export interface MintResponseUrlInput {
  channel: string;
  user: string;
  /** The message the interaction came from: replace_original/delete_original act on it. */
  messageTs?: string;
}

export interface FakeSlack {
  /** Base Web API URL, ending in '/api/'. */
  readonly url: string;
  /** Server origin, e.g. http://127.0.0.1:12345 */
  readonly origin: string;
  readonly calls: FakeSlackCall[];
  callsTo(method: string): FakeSlackCall[];
  /** Messages by `${channel}:${ts}`. */
  readonly messages: Map<string, FakeMessage>;
  message(channel: string, ts: string): FakeMessage | undefined;
  /** Non-deleted messages of a channel, in posting order. */
  messagesIn(channel: string): FakeMessage[];
  /** Ephemeral messages (chat.postEphemeral and ephemeral response_url posts) per user. */
  readonly ephemeral: Map<string, FakeEphemeral[]>;
  readonly views: FakeSlackViews;
  /** Resolves with the first recorded call (past or future) matching; rejects after timeoutMs. */
  waitFor(
    predicate: string | ((call: FakeSlackCall) => boolean),
    timeoutMs?: number,
    opts?: { afterSeq?: number },
  ): Promise<FakeSlackCall>;
  /** A trigger id valid once, for triggerTtlMs. `user` becomes the owner of the modal it opens. */
  mintTriggerId(opts?: { user?: string }): string;
  mintResponseUrl(input: MintResponseUrlInput): string;
  /** The next `times` calls to `method` answer HTTP 429 with Retry-After. */
  rateLimit(method: string, spec?: RateLimitSpec): void;
  setTierLimits(on: boolean): void;
  addUser(user: FakeSlackUser): void;
  addChannel(id: string): void;
  /** Marks a user's open modals closed (as when the user dismisses them or a submission clears them). */
  closeModals(user: string): void;
  /** Clears recorded calls, messages, ephemerals and views (users, channels and tokens stay). */
  reset(): void;
  close(): Promise<void>;
}

// ---------- implementation ----------

type Args = Record<string, unknown>;
type Result = Record<string, unknown> & { ok: boolean };
const fail = (error: string, extra: Record<string, unknown> = {}): Result => ({ ok: false, error, ...extra });
const invalidArgs = (messages: string[]): Result =>
  fail('invalid_arguments', { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });

const JSON_FIELDS = ['blocks', 'view', 'attachments', 'metadata', 'user_auth_blocks'];

/** Slack rate-limit tiers (calls per minute) of the methods served. chat.postMessage is "special": ~1/s/channel. */
const TIER_PER_MINUTE: Record<string, number> = {
  'auth.test': 100,
  'chat.postMessage': 60,
  'chat.update': 50,
  'chat.postEphemeral': 100,
  'chat.delete': 50,
  'conversations.open': 50,
  'views.open': 100,
  'views.update': 100,
  'views.push': 100,
  'views.publish': 100,
  'users.info': 100,
  'users.list': 20,
  'users.lookupByEmail': 50,
};

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

interface TriggerRecord {
  createdAt: number;
  used: boolean;
  user: string | undefined;
}
interface ResponseUrlRecord extends MintResponseUrlInput {
  createdAt: number;
  uses: number;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(raw: string, contentType: string | undefined, query: URLSearchParams): Args | 'bad_json' {
  const args: Args = Object.fromEntries(query.entries());
  const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (ct === 'application/json') {
    if (raw.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'bad_json';
        Object.assign(args, parsed);
      } catch {
        return 'bad_json';
      }
    }
  } else if (raw !== '') {
    for (const [k, v] of new URLSearchParams(raw)) args[k] = v;
  }
  for (const f of JSON_FIELDS) {
    const v = args[f];
    if (typeof v === 'string' && v !== '') {
      try {
        args[f] = JSON.parse(v);
      } catch {
        // left as a string: the handler reports the format error as Slack does
      }
    }
  }
  return args;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const now = options.now ?? Date.now;
  const tokens = new Set(
    options.token === undefined ? ['xoxb-fake-token'] : ([] as string[]).concat(options.token),
  );
  const teamId = options.teamId ?? 'TFAKE';
  const teamDomain = options.teamDomain ?? 'fake';
  const botUserId = options.botUserId ?? 'UFAKEBOT';
  const botId = options.botId ?? 'BFAKEBOT';
  const appId = options.appId ?? 'AFAKEAPP';
  const triggerTtlMs = options.triggerTtlMs ?? 3000;
  let tierLimits = options.tierLimits ?? false;

  const users = new Map<string, FakeSlackUser>();
  for (const u of options.users ?? []) users.set(u.id, u);
  const channels = new Set(options.channels ?? []);

  const calls: FakeSlackCall[] = [];
  const messages = new Map<string, FakeMessage>();
  const ephemeral = new Map<string, FakeEphemeral[]>();
  const home = new Map<string, FakeView>();
  const modals = new Map<string, FakeView>();
  const stacks = new Map<string, string[]>();
  const triggers = new Map<string, TriggerRecord>();
  const responseUrls = new Map<string, ResponseUrlRecord>();
  const forcedLimits = new Map<string, { remaining: number; retryAfterSeconds: number }>();
  const tierWindows = new Map<string, { window: number; count: number }>();
  const listeners = new Set<(c: FakeSlackCall) => void>();
  let seq = 0;
  let tsSeq = 0;
  let idSeq = 0;

  let origin = '';

  const nextTs = (): string => {
    tsSeq += 1;
    return `${Math.floor(now() / 1000)}.${String((tsSeq * 100) % 1_000_000).padStart(6, '0')}`;
  };
  const newHash = (): string => `${Math.floor(now() / 1000)}.${randomBytes(4).toString('hex')}`;
  const newViewId = (): string => {
    idSeq += 1;
    return `V${String(idSeq).padStart(9, '0')}${randomBytes(2).toString('hex').toUpperCase()}`;
  };

  const record = (c: Omit<FakeSlackCall, 'seq'>): FakeSlackCall => {
    seq += 1;
    const call: FakeSlackCall = { seq, ...c };
    calls.push(call);
    for (const l of [...listeners]) l(call);
    return call;
  };

  /** Resolves a channel argument: a user id means the bot's DM with that user. */
  const resolveChannel = (ch: string | undefined): string | undefined => {
    if (!ch) return undefined;
    if (channels.has(ch)) return ch;
    if (users.has(ch)) return `D${ch}`;
    if (ch.startsWith('D') && users.has(ch.slice(1))) return ch;
    return undefined;
  };

  const userJson = (u: FakeSlackUser): Record<string, unknown> => {
    const email = u.profile?.email ?? u.email;
    const realName = u.real_name ?? u.profile?.real_name ?? u.name ?? u.id;
    return {
      id: u.id,
      team_id: u.team_id ?? teamId,
      name: u.name ?? (email ? email.split('@')[0] : u.id.toLowerCase()),
      deleted: u.deleted ?? false,
      real_name: realName,
      tz: u.tz ?? 'America/Los_Angeles',
      tz_label: u.tz_label ?? 'Pacific Standard Time',
      tz_offset: u.tz_offset ?? -28800,
      is_admin: u.is_admin ?? false,
      is_owner: u.is_owner ?? false,
      is_bot: u.is_bot ?? false,
      is_app_user: false,
      updated: 1_700_000_000,
      profile: {
        real_name: realName,
        display_name: u.profile?.display_name ?? '',
        team: u.team_id ?? teamId,
        ...u.profile,
        ...(email !== undefined ? { email } : {}),
      },
    };
  };

  const messageJson = (m: FakeMessage): Record<string, unknown> => ({
    type: 'message',
    user: m.user,
    bot_id: botId,
    app_id: appId,
    team: teamId,
    text: m.text ?? '',
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
  });

  const viewJson = (v: FakeView): Record<string, unknown> => ({
    id: v.id,
    team_id: v.team_id,
    type: v.type,
    ...(v.title !== undefined ? { title: v.title } : {}),
    ...(v.submit !== undefined ? { submit: v.submit } : {}),
    ...(v.close !== undefined ? { close: v.close } : {}),
    blocks: v.blocks,
    private_metadata: v.private_metadata,
    callback_id: v.callback_id,
    external_id: v.external_id,
    state: v.state,
    hash: v.hash,
    clear_on_close: v.clear_on_close,
    notify_on_close: v.notify_on_close,
    root_view_id: v.root_view_id,
    previous_view_id: v.previous_view_id,
    app_id: v.app_id,
    app_installed_team_id: v.team_id,
    bot_id: v.bot_id,
  });

  /** Blocks argument check shared by chat.* and response_url. Returns an error result or the blocks. */
  const checkMessageContent = (args: Args): Result | { blocks: unknown[] | undefined } => {
    const blocks = args.blocks;
    if (blocks !== undefined && blocks !== '') {
      if (!Array.isArray(blocks)) return fail('invalid_blocks_format');
      const errors = validateMessageBlocks(blocks);
      if (errors.length > 0) {
        return fail('invalid_blocks', {
          errors,
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        });
      }
    }
    if (messageTextTooLong(args.text)) return fail('msg_too_long');
    return { blocks: Array.isArray(blocks) ? blocks : undefined };
  };

  const hasContent = (args: Args): boolean =>
    (typeof args.text === 'string' && args.text !== '') ||
    (Array.isArray(args.blocks) && args.blocks.length > 0) ||
    (Array.isArray(args.attachments) && args.attachments.length > 0);

  const useTrigger = (id: unknown): Result | TriggerRecord => {
    if (typeof id !== 'string' || id === '') return invalidArgs(['missing required field: trigger_id']);
    const t = triggers.get(id);
    if (!t) return fail('invalid_trigger_id');
    if (t.used) return fail('exchanged_trigger_id');
    if (now() - t.createdAt > triggerTtlMs) return fail('expired_trigger_id');
    t.used = true;
    return t;
  };

  const checkView = (
    view: unknown,
    want?: 'modal' | 'home',
    self?: FakeView,
  ): Result | Record<string, unknown> => {
    if (view === undefined || view === '') return invalidArgs(['missing required field: view']);
    if (typeof view !== 'object' || view === null || Array.isArray(view)) {
      return invalidArgs(['must provide an object [json-pointer:/view]']);
    }
    const errors = validateView(view);
    if (errors.length > 0) return invalidArgs(errors);
    const v = view as Record<string, unknown>;
    if (want && v.type !== want) return invalidArgs([`must be ${want} [json-pointer:/view/type]`]);
    if (typeof v.external_id === 'string') {
      for (const existing of [...modals.values(), ...home.values()]) {
        if (existing !== self && existing.external_id === v.external_id && existing.open) {
          return fail('duplicate_external_id');
        }
      }
    }
    return v;
  };

  const applyView = (target: FakeView, v: Record<string, unknown>): void => {
    target.title = v.title;
    target.submit = v.submit;
    target.close = v.close;
    target.blocks = Array.isArray(v.blocks) ? v.blocks : [];
    target.private_metadata = str(v.private_metadata) ?? '';
    target.callback_id = str(v.callback_id) ?? '';
    // A view sent without external_id keeps the one it had.
    target.external_id = str(v.external_id) ?? target.external_id;
    target.notify_on_close = bool(v.notify_on_close);
    target.clear_on_close = bool(v.clear_on_close);
    target.hash = newHash();
    target.history.push(structuredClone(v));
  };

  const makeView = (
    v: Record<string, unknown>,
    user: string | undefined,
    previous: string | null,
  ): FakeView => {
    const view: FakeView = {
      id: newViewId(),
      type: v.type === 'home' ? 'home' : 'modal',
      user,
      team_id: teamId,
      app_id: appId,
      bot_id: botId,
      hash: '',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      external_id: '',
      notify_on_close: false,
      clear_on_close: false,
      state: { values: {} },
      root_view_id: null,
      previous_view_id: previous,
      history: [],
      open: true,
    };
    view.root_view_id = view.id;
    applyView(view, v);
    return view;
  };

  const findView = (args: Args): FakeView | undefined => {
    const id = str(args.view_id);
    const ext = str(args.external_id);
    if (id) return modals.get(id) ?? [...home.values()].find((v) => v.id === id);
    if (ext) return [...modals.values(), ...home.values()].find((v) => v.external_id === ext);
    return undefined;
  };

  const handlers: Record<string, (args: Args) => Result> = {
    'auth.test': () => ({
      ok: true,
      url: `https://${teamDomain}.slack.com/`,
      team: teamDomain,
      user: 'tispace',
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (args) => {
      const channel = resolveChannel(str(args.channel));
      if (!channel) return fail('channel_not_found');
      const content = checkMessageContent(args);
      if ('ok' in content) return content;
      if (!hasContent(args)) return fail('no_text');
      const ts = nextTs();
      const m: FakeMessage = {
        channel,
        ts,
        thread_ts: str(args.thread_ts),
        user: botUserId,
        text: str(args.text),
        blocks: content.blocks,
        metadata: args.metadata,
        deleted: false,
        history: [{ text: str(args.text), blocks: content.blocks, at: now(), by: 'chat.postMessage' }],
      };
      messages.set(`${channel}:${ts}`, m);
      return { ok: true, channel, ts, message: messageJson(m) };
    },

    'chat.update': (args) => {
      const rawChannel = str(args.channel);
      if (!rawChannel) return fail('channel_not_found');
      const channel = resolveChannel(rawChannel);
      if (!channel) return fail('channel_not_found');
      const ts = str(args.ts);
      const m = ts ? messages.get(`${channel}:${ts}`) : undefined;
      if (!m || m.deleted) return fail('message_not_found');
      const content = checkMessageContent(args);
      if ('ok' in content) return content;
      if (!hasContent(args)) return fail('no_text');
      m.text = str(args.text);
      m.blocks = content.blocks;
      m.history.push({ text: m.text, blocks: m.blocks, at: now(), by: 'chat.update' });
      return { ok: true, channel, ts: m.ts, text: m.text ?? '', message: messageJson(m) };
    },

    'chat.delete': (args) => {
      const channel = resolveChannel(str(args.channel));
      if (!channel) return fail('channel_not_found');
      const ts = str(args.ts);
      const m = ts ? messages.get(`${channel}:${ts}`) : undefined;
      if (!m || m.deleted) return fail('message_not_found');
      m.deleted = true;
      return { ok: true, channel, ts: m.ts };
    },

    'chat.postEphemeral': (args) => {
      const channel = resolveChannel(str(args.channel));
      if (!channel) return fail('channel_not_found');
      const user = str(args.user);
      if (!user) return invalidArgs(['missing required field: user']);
      const u = users.get(user);
      if (!u || u.deleted) return fail('user_not_in_channel');
      const content = checkMessageContent(args);
      if ('ok' in content) return content;
      if (!hasContent(args)) return fail('no_text');
      const message_ts = nextTs();
      const list = ephemeral.get(user) ?? [];
      list.push({
        source: 'chat.postEphemeral',
        channel,
        user,
        text: str(args.text),
        blocks: content.blocks,
        body: args,
        message_ts,
        at: now(),
      });
      ephemeral.set(user, list);
      return { ok: true, message_ts };
    },

    'conversations.open': (args) => {
      const channelArg = str(args.channel);
      if (channelArg) {
        const ch = resolveChannel(channelArg);
        return ch ? { ok: true, channel: { id: ch } } : fail('channel_not_found');
      }
      const list = (str(args.users) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (list.length === 0) return fail('users_list_not_supplied');
      if (list.length > 8) return fail('too_many_users');
      for (const id of list) {
        const u = users.get(id);
        if (!u) return fail('user_not_found');
        if (u.deleted) return fail('user_disabled');
      }
      const id = list.length === 1 ? `D${list[0]}` : `G${[...list].sort().join('')}`.slice(0, 21);
      channels.add(id);
      return { ok: true, no_op: true, already_open: true, channel: { id } };
    },

    'users.info': (args) => {
      const id = str(args.user);
      if (!id) return invalidArgs(['missing required field: user']);
      const u = users.get(id);
      return u ? { ok: true, user: userJson(u) } : fail('user_not_found');
    },

    // Cursor pagination as Slack does it: an opaque next_cursor, '' on the last page; limit ≤ 1000
    // (Slack advises ≤ 200); deleted (deactivated) members are listed with deleted: true.
    'users.list': (args) => {
      const limitArg = str(args.limit);
      const limit = limitArg === undefined || limitArg === '0' ? 200 : Number(limitArg);
      if (!Number.isInteger(limit) || limit < 0) return invalidArgs(['limit must be a positive integer']);
      const all = [...users.values()].sort((a, b) => a.id.localeCompare(b.id));
      const cursorArg = str(args.cursor);
      let start = 0;
      if (cursorArg) {
        const decoded = Buffer.from(cursorArg, 'base64').toString('utf8');
        const after = /^user:(.+)$/.exec(decoded)?.[1];
        if (!after) return fail('invalid_cursor');
        start = all.findIndex((u) => u.id > after);
        if (start < 0) start = all.length;
      }
      const page = all.slice(start, start + Math.min(limit, 1000));
      const more = start + page.length < all.length;
      return {
        ok: true,
        members: page.map(userJson),
        cache_ts: Math.floor(now() / 1000),
        response_metadata: {
          next_cursor: more ? Buffer.from(`user:${page.at(-1)!.id}`).toString('base64') : '',
        },
      };
    },

    'users.lookupByEmail': (args) => {
      const email = str(args.email)?.toLowerCase();
      if (!email) return invalidArgs(['missing required field: email']);
      const u = [...users.values()].find((x) => (x.profile?.email ?? x.email)?.toLowerCase() === email);
      return u ? { ok: true, user: userJson(u) } : fail('users_not_found');
    },

    'views.open': (args) => {
      const checked = checkView(args.view, 'modal');
      if ('ok' in checked) return checked as Result;
      const t = useTrigger(args.trigger_id);
      if ('ok' in t) return t;
      const view = makeView(checked, t.user, null);
      modals.set(view.id, view);
      if (t.user) {
        for (const id of stacks.get(t.user) ?? []) {
          const old = modals.get(id);
          if (old) old.open = false;
        }
        stacks.set(t.user, [view.id]);
      }
      return { ok: true, view: viewJson(view) };
    },

    'views.push': (args) => {
      const checked = checkView(args.view, 'modal');
      if ('ok' in checked) return checked as Result;
      const t = useTrigger(args.trigger_id);
      if ('ok' in t) return t;
      const stack = t.user ? (stacks.get(t.user) ?? []) : [];
      if (stack.length >= 3) return fail('push_limit_reached');
      const top = stack[stack.length - 1];
      const view = makeView(checked, t.user, top ?? null);
      if (top) view.root_view_id = modals.get(stack[0] ?? '')?.id ?? view.id;
      modals.set(view.id, view);
      if (t.user) stacks.set(t.user, [...stack, view.id]);
      return { ok: true, view: viewJson(view) };
    },

    'views.update': (args) => {
      if (args.view_id === undefined && args.external_id === undefined) {
        return invalidArgs(['must provide view_id or external_id']);
      }
      const target = findView(args);
      if (!target || (target.type === 'modal' && !target.open)) return fail('not_found');
      const checked = checkView(args.view, target.type, target);
      if ('ok' in checked) return checked as Result;
      const hash = str(args.hash);
      if (hash !== undefined && hash !== '' && hash !== target.hash) return fail('hash_conflict');
      applyView(target, checked);
      return { ok: true, view: viewJson(target) };
    },

    'views.publish': (args) => {
      const user = str(args.user_id);
      if (!user) return invalidArgs(['missing required field: user_id']);
      if (!users.has(user)) return fail('user_not_found');
      const existing = home.get(user);
      const checked = checkView(args.view, 'home', existing);
      if ('ok' in checked) return checked as Result;
      const hash = str(args.hash);
      if (existing && hash !== undefined && hash !== '' && hash !== existing.hash)
        return fail('hash_conflict');
      if (existing) {
        applyView(existing, checked);
        return { ok: true, view: viewJson(existing) };
      }
      const view = makeView(checked, user, null);
      home.set(user, view);
      return { ok: true, view: viewJson(view) };
    },
  };

  /** 429 check: forced limits first, then tier windows. Returns Retry-After seconds or undefined. */
  const rateLimited = (method: string, args: Args): number | undefined => {
    const forced = forcedLimits.get(method);
    if (forced && forced.remaining > 0) {
      forced.remaining -= 1;
      if (forced.remaining === 0) forcedLimits.delete(method);
      return forced.retryAfterSeconds;
    }
    if (!tierLimits) return undefined;
    const perMinute = TIER_PER_MINUTE[method];
    if (perMinute === undefined) return undefined;
    const key = method === 'chat.postMessage' ? `${method}:${str(args.channel) ?? ''}` : method;
    const t = now();
    const window = Math.floor(t / 60_000);
    const w = tierWindows.get(key);
    if (!w || w.window !== window) {
      tierWindows.set(key, { window, count: 1 });
      return undefined;
    }
    if (w.count >= perMinute) return Math.max(1, Math.ceil(((window + 1) * 60_000 - t) / 1000));
    w.count += 1;
    return undefined;
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    query: URLSearchParams,
  ) => {
    const contentType = req.headers['content-type'];
    const raw = await readBody(req);
    const parsed = parseArgs(raw, contentType, query);
    const args: Args = parsed === 'bad_json' ? {} : parsed;
    const auth = req.headers.authorization;
    const bodyToken = str(args.token);
    delete args.token;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : bodyToken;
    const reply = (status: number, response: Result, headers: Record<string, string> = {}) => {
      record({ method, args, token, contentType, at: now(), status, response });
      send(res, status, response, headers);
    };
    if (parsed === 'bad_json') return reply(200, fail('invalid_json'));
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) return reply(200, fail('unknown_method', { req_method: method }));
    if (!token) return reply(200, fail('not_authed'));
    if (!tokens.has(token)) return reply(200, fail('invalid_auth'));
    const retryAfter = rateLimited(method, args);
    if (retryAfter !== undefined) {
      return reply(429, fail('ratelimited'), { 'retry-after': String(retryAfter) });
    }
    let result: Result;
    try {
      result = handler(args);
    } catch (e) {
      result = fail('internal_error', { detail: e instanceof Error ? e.message : String(e) });
    }
    reply(200, result);
  };

  const handleHook = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const contentType = req.headers['content-type'];
    const raw = await readBody(req);
    let body: Args = {};
    let badJson = false;
    try {
      const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
      if (ct === 'application/x-www-form-urlencoded') {
        const payload = new URLSearchParams(raw).get('payload');
        body = payload ? (JSON.parse(payload) as Args) : {};
      } else {
        body = raw.trim() === '' ? {} : (JSON.parse(raw) as Args);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) badJson = true;
    } catch {
      badJson = true;
    }
    const reply = (status: number, response: Result | string) => {
      const asObj: Result = typeof response === 'string' ? fail(response) : response;
      record({
        method: 'response_url',
        args: { ...body, response_url_id: id },
        token: undefined,
        contentType,
        at: now(),
        status,
        response: asObj,
      });
      send(res, status, response);
    };
    const hook = responseUrls.get(id);
    if (!hook) return reply(404, 'invalid_token');
    if (now() - hook.createdAt > RESPONSE_URL_TTL_MS) return reply(404, 'expired_url');
    if (hook.uses >= RESPONSE_URL_MAX_USES) return reply(404, 'used_url');
    hook.uses += 1;
    if (badJson) return reply(400, 'invalid_payload');
    const content = checkMessageContent(body);
    if ('ok' in content) return reply(400, content);
    const original = hook.messageTs ? messages.get(`${hook.channel}:${hook.messageTs}`) : undefined;
    if (bool(body.delete_original)) {
      if (original) original.deleted = true;
      return reply(200, { ok: true });
    }
    if (!hasContent(body)) return reply(400, 'no_text');
    if (bool(body.replace_original) && original && !original.deleted) {
      original.text = str(body.text);
      original.blocks = content.blocks;
      original.history.push({ text: original.text, blocks: original.blocks, at: now(), by: 'response_url' });
      return reply(200, { ok: true });
    }
    if (body.response_type === 'in_channel') {
      const ts = nextTs();
      messages.set(`${hook.channel}:${ts}`, {
        channel: hook.channel,
        ts,
        thread_ts: str(body.thread_ts),
        user: botUserId,
        text: str(body.text),
        blocks: content.blocks,
        metadata: undefined,
        deleted: false,
        history: [{ text: str(body.text), blocks: content.blocks, at: now(), by: 'response_url' }],
      });
      return reply(200, { ok: true });
    }
    const list = ephemeral.get(hook.user) ?? [];
    list.push({
      source: 'response_url',
      channel: hook.channel,
      user: hook.user,
      text: str(body.text),
      blocks: content.blocks,
      body,
      message_ts: nextTs(),
      at: now(),
    });
    ephemeral.set(hook.user, list);
    return reply(200, { ok: true });
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(u.pathname);
    const hook = /^\/hooks\/([A-Za-z0-9_-]+)$/.exec(u.pathname);
    const done = (p: Promise<void>) =>
      p.catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, { ok: false, error: 'fatal_error', detail: String(e) });
      });
    if (api?.[1] && (req.method === 'POST' || req.method === 'GET')) {
      done(handleApi(req, res, api[1], u.searchParams));
    } else if (hook?.[1] && req.method === 'POST') {
      done(handleHook(req, res, hook[1]));
    } else {
      send(res, 404, 'not_found');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  origin = `http://${options.host ?? '127.0.0.1'}:${addr.port}`;

  const fake: FakeSlack = {
    url: `${origin}/api/`,
    origin,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages,
    message: (channel, ts) => messages.get(`${channel}:${ts}`),
    messagesIn: (channel) => [...messages.values()].filter((m) => m.channel === channel && !m.deleted),
    ephemeral,
    views: {
      home,
      modals,
      stack: (user) =>
        (stacks.get(user) ?? []).map((id) => modals.get(id)).filter((v): v is FakeView => v?.open === true),
      byId: (id) => modals.get(id) ?? [...home.values()].find((v) => v.id === id),
    },
    waitFor(predicate, timeoutMs = 5000, opts = {}) {
      const match = typeof predicate === 'string' ? (c: FakeSlackCall) => c.method === predicate : predicate;
      const afterSeq = opts.afterSeq ?? 0;
      const test = (c: FakeSlackCall) => c.seq > afterSeq && match(c);
      const past = calls.find(test);
      if (past) return Promise.resolve(past);
      return new Promise<FakeSlackCall>((resolve, reject) => {
        const listener = (c: FakeSlackCall) => {
          if (!test(c)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(c);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          const seen = calls.map((c) => `${c.method}→${String(c.response.error ?? 'ok')}`).join(', ');
          reject(new Error(`fake Slack: no matching call within ${timeoutMs} ms (calls: ${seen || 'none'})`));
        }, timeoutMs);
        listeners.add(listener);
      });
    },
    mintTriggerId(opts = {}) {
      idSeq += 1;
      const id = `${Math.floor(now() / 1000)}${idSeq}.${teamId.replace(/\D/g, '') || '1'}${idSeq}.${randomBytes(16).toString('hex')}`;
      triggers.set(id, { createdAt: now(), used: false, user: opts.user });
      return id;
    },
    mintResponseUrl(input) {
      const id = `${teamId}-${randomBytes(12).toString('hex')}`;
      responseUrls.set(id, { ...input, createdAt: now(), uses: 0 });
      return `${origin}/hooks/${id}`;
    },
    rateLimit(method, spec = {}) {
      forcedLimits.set(method, {
        remaining: spec.times ?? 1,
        retryAfterSeconds: spec.retryAfterSeconds ?? 1,
      });
    },
    setTierLimits(on) {
      tierLimits = on;
      tierWindows.clear();
    },
    addUser(user) {
      users.set(user.id, user);
    },
    addChannel(id) {
      channels.add(id);
    },
    closeModals(user) {
      for (const id of stacks.get(user) ?? []) {
        const v = modals.get(id);
        if (v) v.open = false;
      }
      stacks.delete(user);
    },
    reset() {
      calls.length = 0;
      messages.clear();
      ephemeral.clear();
      home.clear();
      modals.clear();
      stacks.clear();
      triggers.clear();
      responseUrls.clear();
      forcedLimits.clear();
      tierWindows.clear();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
