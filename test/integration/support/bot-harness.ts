// The bot for integration tests: the real Bolt app over real HTTP (signed requests), the fake Slack Web API,
// and a real Provisioner against the local control plane in a fresh namespace with a ready golden snapshot.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WebClient } from '@slack/web-api';
import { createTiSpaceApp, type TiSpaceApp } from '../../../bot/app.ts';
import { createGoogleLink } from '../../../bot/identity/google-link.ts';
import type { JobsPort } from '../../../bot/jobs-port.ts';
import { createLogger } from '../../../bot/logger.ts';
import {
  type HostKeyReader,
  Provisioner,
  systemClock,
  type TiSpaceConfig,
} from '../../../provisioner/api.ts';
import { type FakeGoogle, startFakeGoogle } from '../../fakes/google/fake-google.ts';
import { type FakeSlack, type FakeSlackUser, startFakeSlack } from '../../fakes/slack/fake-slack.ts';
import { postCommand, postEvent, postInteraction, type SignedPostResult } from '../../fakes/slack/sign.ts';
import { namespaceConfig, TEST_IMAGE } from '../../support/config.ts';
import { giveTestKey } from '../../support/keys.ts';
import { freePort } from '../../support/ports.ts';
import { simulatedNodeHostKeys } from '../../support/simulated-host-keys.ts';
import { tempDir } from '../../support/temp.ts';
import { kubeConfig } from './cluster.ts';

export const SIGNING_SECRET = 'bot-harness-signing-secret';
export const TOKEN = 'xoxb-bot-harness';
export const TEAM = 'TFAKE';
export const ADMIN_EMAIL = 'admin@example.com';

export const USERS: FakeSlackUser[] = [
  { id: 'UADA', email: 'ada@example.com', tz: 'Europe/Berlin' },
  { id: 'UBOB', email: 'bob@example.com', tz: 'America/New_York' },
  { id: 'UADMIN', email: ADMIN_EMAIL, tz: 'UTC' },
  { id: 'UNEW', email: 'new@example.com' },
];

/** The bot's configuration of a namespace: one admin, and the test image only. */
export const botConfig = (namespace: string, extra: Record<string, unknown> = {}): TiSpaceConfig =>
  namespaceConfig(namespace, { admins: [ADMIN_EMAIL], images: [TEST_IMAGE], ...extra });

export interface BotHarness {
  fake: FakeSlack;
  bot: TiSpaceApp;
  provisioner: Provisioner;
  url: string;
  origin: string;
  /** Everything the app logged (JSON lines). */
  logs: string[];
  /** Posts `/tispace <text>` as `user`; the response_url and trigger id are minted for it. */
  command(user: string, text: string): Promise<SignedPostResult & { responseUrl: string }>;
  /** Posts a block_actions payload of `user` clicking `actionId` (value) on a message or the Home tab. */
  click(
    user: string,
    actionId: string,
    value: string,
    where?: { message?: { channel: string; ts: string }; home?: boolean; privateMetadata?: string },
  ): Promise<SignedPostResult>;
  interaction(payload: Record<string, unknown>): Promise<SignedPostResult>;
  /** Submits `user`'s open modal (top of their stack) with the given state values. */
  submit(user: string, values: Record<string, Record<string, unknown>>): Promise<SignedPostResult>;
  event(event: Record<string, unknown>): Promise<SignedPostResult>;
  /** Links a Slack user to a Google identity directly (what the sign-in flow ends with) and gives them the fixture SSH key. */
  link(user: string, email: string): void;
  /** The fake Google issuer, when the harness was started with `google: true`. */
  google?: FakeGoogle;
  /**
   * The real sign-in as a user goes through it (needs `google: true`): `/tispace login`, the link's
   * button, Google's consent (as `email`), the callback. Returns the callback page's status and text.
   */
  signInWithGoogle(user: string, email: string): Promise<{ status: number; text: string }>;
  /** Ephemeral replies to `user`, newest last. */
  replies(user: string): string[];
  /** Waits for the next reply to `user` after `count` replies. */
  nextReply(user: string, count: number, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  namespace: string;
  kubeConfig?: KubeConfig;
  config?: TiSpaceConfig;
  jobs?: JobsPort;
  /** Wraps the provisioner's API (e.g. to make it slow). */
  wrapApi?: (api: Provisioner['api']) => Provisioner['api'];
  retryConfig?: { retries: number; minTimeout?: number; maxTimeout?: number };
  startProvisioner?: boolean;
  /** Host keys of the machines: simulated nodes have no sshd (the default); real nodes use ssh-keyscan. */
  hostKeys?: HostKeyReader;
  /**
   * Wire the real Google sign-in (bot/identity/google-link.ts) to a fake Google issuer, with
   * GOOGLE_ALLOWED_DOMAINS = the users' domain; otherwise the link routes are absent.
   */
  google?: boolean;
}

export const GOOGLE_CLIENT = {
  clientId: 'harness-client.apps.googleusercontent.com',
  clientSecret: 'harness-secret',
};

export async function startBotHarness(o: HarnessOptions): Promise<BotHarness> {
  const fake = await startFakeSlack({ token: TOKEN, teamId: TEAM, users: USERS.map((u) => ({ ...u })) });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const dir = tempDir('tispace-bot-');
  const provisioner = new Provisioner({
    config: o.config ?? botConfig(o.namespace),
    kubeConfig: o.kubeConfig ?? kubeConfig(),
    store: path.join(dir, 'tispace.db'),
    log,
    hostKeys: o.hostKeys ?? simulatedNodeHostKeys,
  });
  const api = o.wrapApi ? o.wrapApi(provisioner.api) : provisioner.api;
  const port = o.google ? await freePort() : 0;
  const google = o.google
    ? await startFakeGoogle({
        ...GOOGLE_CLIENT,
        redirectUris: [`http://127.0.0.1:${port}/auth/google/callback`],
      })
    : undefined;
  const bot = createTiSpaceApp({
    provisioner: {
      api,
      ready: () => provisioner.ready(),
      setNotifier: (n) => provisioner.setNotifier(n),
    },
    slack: {
      botToken: TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: fake.url,
      retryConfig: o.retryConfig ?? { retries: 0 },
    },
    port,
    log,
    googleLink: google
      ? (slack: WebClient) =>
          createGoogleLink({
            ...GOOGLE_CLIENT,
            allowedDomains: ['example.com'],
            publicUrl: `http://127.0.0.1:${port}`,
            secret: randomBytes(32).toString('hex'),
            endpoints: google.urls,
            provisioner: api,
            slack,
            clock: systemClock,
            log: log.child({ component: 'google-link' }),
          })
      : () => ({
          startUrl: (actor) => `https://tispace.example.com/auth/google/start?u=${actor.userId}`,
          routes: [],
        }),
    ...(o.jobs ? { jobs: o.jobs } : {}),
  });
  if (o.startProvisioner ?? true) await provisioner.start();
  const started = await bot.start();
  const origin = `http://127.0.0.1:${started.port}`;
  const url = `${origin}/slack/events`;

  const replies = (user: string) => (fake.ephemeral.get(user) ?? []).map((e) => e.text ?? '');
  const harness: BotHarness = {
    fake,
    bot,
    provisioner,
    url,
    origin,
    logs,
    async command(user, text) {
      const responseUrl = fake.mintResponseUrl({ channel: `D${user}`, user });
      const r = await postCommand(url, SIGNING_SECRET, {
        command: '/tispace',
        text,
        user_id: user,
        team_id: TEAM,
        trigger_id: fake.mintTriggerId({ user }),
        response_url: responseUrl,
        channel_id: `D${user}`,
      });
      return { ...r, responseUrl };
    },
    click(user, actionId, value, where = {}) {
      const message = where.message;
      const container = where.home
        ? { type: 'view', view_id: fake.views.home.get(user)?.id ?? 'VHOME' }
        : message
          ? { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false }
          : { type: 'message', message_ts: '1.0', channel_id: `D${user}`, is_ephemeral: true };
      return postInteraction(url, SIGNING_SECRET, {
        type: 'block_actions',
        team: { id: TEAM, domain: 'fake' },
        user: { id: user, username: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'AFAKEAPP',
        token: 'x',
        container,
        trigger_id: fake.mintTriggerId({ user }),
        ...(where.home
          ? {
              view: {
                id: fake.views.home.get(user)?.id ?? 'VHOME',
                type: 'home',
                callback_id: 'home',
                private_metadata: where.privateMetadata ?? fake.views.home.get(user)?.private_metadata ?? '',
                state: { values: {} },
                hash: 'h',
              },
            }
          : {
              channel: { id: message?.channel ?? `D${user}`, name: 'directmessage' },
              message: { type: 'message', ts: message?.ts ?? '1.0', text: '' },
              response_url: fake.mintResponseUrl({
                channel: message?.channel ?? `D${user}`,
                user,
                ...(message ? { messageTs: message.ts } : {}),
              }),
            }),
        actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
      });
    },
    interaction: (payload) => postInteraction(url, SIGNING_SECRET, payload),
    submit(user, values) {
      const view = fake.views.stack(user).at(-1);
      if (!view) throw new Error(`${user} has no open modal`);
      return postInteraction(url, SIGNING_SECRET, {
        type: 'view_submission',
        team: { id: TEAM, domain: 'fake' },
        user: { id: user, username: user.toLowerCase(), team_id: TEAM },
        api_app_id: 'AFAKEAPP',
        token: 'x',
        trigger_id: fake.mintTriggerId({ user }),
        view: {
          id: view.id,
          team_id: TEAM,
          type: 'modal',
          callback_id: view.callback_id,
          private_metadata: view.private_metadata,
          hash: view.hash,
          blocks: view.blocks,
          state: { values },
        },
      });
    },
    event: (event) => postEvent(url, SIGNING_SECRET, event, { team_id: TEAM }),
    link(user, email) {
      const actor = { userId: user, teamId: TEAM };
      provisioner.api.linkIdentity(actor, {
        googleSub: `sub-${user}-${randomBytes(2).toString('hex')}`,
        email,
      });
      giveTestKey(provisioner.api, actor);
    },
    ...(google ? { google } : {}),
    async signInWithGoogle(user, email) {
      if (!google) throw new Error('the harness was started without google: true');
      const before = replies(user).length;
      await harness.command(user, 'login');
      await harness.nextReply(user, before);
      const blocks = JSON.stringify(fake.ephemeral.get(user)?.at(-1)?.blocks ?? []);
      const startUrl = /"url":"(http[^"]*\/auth\/google\/start[^"]*)"/.exec(blocks)?.[1];
      if (!startUrl) throw new Error(`no sign-in button in the reply to /tispace login: ${blocks}`);
      const start = await fetch(JSON.parse(`"${startUrl}"`) as string, { redirect: 'manual' });
      const location = start.headers.get('location');
      if (start.status !== 302 || !location) throw new Error(`sign-in start answered ${start.status}`);
      google.setNextLogin({ sub: `google-${user}`, email, email_verified: true, hd: email.split('@')[1] });
      const callback = await google.authorize(location);
      const page = await fetch(callback, { redirect: 'manual' });
      return { status: page.status, text: await page.text() };
    },
    replies,
    async nextReply(user, count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const all = replies(user);
        if (all.length > count) return all[count]!;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(
        `no reply #${count + 1} to ${user} within ${timeoutMs} ms; replies: ${JSON.stringify(replies(user))}`,
      );
    },
    async close() {
      await bot.stop();
      await provisioner.stop();
      provisioner.store.close?.();
      await fake.close();
      await google?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
