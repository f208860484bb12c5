import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Instance, JobNotice, Notifier, PhaseChange, ProvisionerApi } from '../../provisioner/api.ts';
import type { BotMetrics } from '../metrics.ts';
import { slackErrorCode } from '../slack-errors.ts';
import type { MessageContent } from '../views/blocks.ts';
import { noticeMessage } from '../views/notices.ts';
import { progressMessage } from '../views/progress-message.ts';

/** Where a progress message lives; stored on the instance as JSON (notifyRef). */
export interface MessageRef {
  channel: string;
  ts: string;
}

const parseRef = (notifyRef: string | null | undefined): MessageRef | undefined => {
  if (!notifyRef) return undefined;
  try {
    const ref = JSON.parse(notifyRef) as Partial<MessageRef>;
    return typeof ref.channel === 'string' && typeof ref.ts === 'string'
      ? { channel: ref.channel, ts: ref.ts }
      : undefined;
  } catch {
    return undefined;
  }
};

export interface SlackNotifierOptions {
  client: webApi.WebClient;
  api: ProvisionerApi;
  log: Logger;
  metrics: BotMetrics;
}

/**
 * Tells people things in Slack: one progress message per instance, updated in place (chat.update) on every
 * phase change; job notices and admin alerts as DMs. Slack failures are logged with context and never
 * thrown: a notification must not take the provisioner down. Rate limits are retried by the WebClient.
 */
export class SlackNotifier implements Notifier {
  readonly #o: SlackNotifierOptions;
  /** Per-instance queue, so a progress message is posted before it is updated and updates stay in order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #refs = new Map<string, MessageRef>();

  constructor(options: SlackNotifierOptions) {
    this.#o = options;
  }

  /**
   * Posts the progress message of a new (or restarted, restored) instance as a DM to its owner. Call it right
   * after the provisioner accepted the request: it is queued ahead of the reconciler's phase changes.
   */
  trackProgress(instance: Instance): Promise<void> {
    return this.#enqueue(instance.id, async () => {
      const ref = await this.#postDm(instance.ownerId, progressMessage(instance), 'progress');
      if (!ref) return;
      this.#refs.set(instance.id, ref);
      const saved = this.#o.api.setNotifyRef({ userId: instance.ownerId }, instance.id, JSON.stringify(ref));
      if (!saved.ok)
        this.#o.log.warn({ instance: instance.id, error: saved.error }, 'could not store notifyRef');
    });
  }

  instanceChanged(instance: Instance, change: PhaseChange): Promise<void> {
    return this.#enqueue(instance.id, async () => {
      const content = progressMessage(instance, change);
      const ref = this.#refs.get(instance.id) ?? parseRef(instance.notifyRef);
      if (ref && (await this.#update(ref, content, instance.id))) return;
      // No message yet (or it is gone): start a new one, so the owner still hears about it.
      const posted = await this.#postDm(instance.ownerId, content, 'progress');
      if (!posted) return;
      this.#refs.set(instance.id, posted);
      this.#o.api.setNotifyRef({ userId: instance.ownerId }, instance.id, JSON.stringify(posted));
    });
  }

  async notice(userId: string, notice: JobNotice): Promise<boolean> {
    if (notice.kind === 'offboarded') {
      // About the user, for the admins.
      const content = noticeMessage(notice, undefined);
      const sent = await Promise.all(
        this.#o.api.adminUserIds().map((id) => this.#postDm(id, content, notice.kind)),
      );
      return sent.some((ref) => ref !== undefined);
    }
    const tz = await this.#timeZone(userId);
    const posted = await this.#postDm(userId, noticeMessage(notice, tz), notice.kind);
    return posted !== undefined;
  }

  async adminAlert(text: string): Promise<void> {
    const admins = this.#o.api.adminUserIds();
    if (admins.length === 0) {
      this.#o.log.warn({ alert: text }, 'admin alert with no admin to tell (no linked admin account)');
      return;
    }
    await Promise.all(admins.map((id) => this.#postDm(id, { text }, 'admin')));
  }

  /** Resolves when every queued message has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  #enqueue(instanceId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(instanceId) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => {
      this.#o.log.error({ err: error, instance: instanceId }, 'notification failed');
    });
    this.#chains.set(instanceId, next);
    void next.then(() => {
      if (this.#chains.get(instanceId) === next) this.#chains.delete(instanceId);
    });
    return next;
  }

  async #postDm(userId: string, content: MessageContent, kind: string): Promise<MessageRef | undefined> {
    const { client, log, metrics } = this.#o;
    try {
      const opened = await client.conversations.open({ users: userId });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      const posted = await client.chat.postMessage({ channel, ...content });
      metrics.notifications.inc({ kind, outcome: 'ok' });
      return { channel: posted.channel ?? channel, ts: posted.ts! };
    } catch (error) {
      const code = slackErrorCode(error);
      metrics.notifications.inc({ kind, outcome: 'failed' });
      metrics.slackErrors.inc({ method: 'chat.postMessage', error: code });
      log.warn({ err: error, slackError: code, userId, kind }, 'could not send a Slack DM');
      return undefined;
    }
  }

  async #update(ref: MessageRef, content: MessageContent, instanceId: string): Promise<boolean> {
    const { client, log, metrics } = this.#o;
    try {
      await client.chat.update({ channel: ref.channel, ts: ref.ts, ...content });
      metrics.notifications.inc({ kind: 'progress', outcome: 'ok' });
      return true;
    } catch (error) {
      const code = slackErrorCode(error);
      metrics.slackErrors.inc({ method: 'chat.update', error: code });
      log.warn(
        { err: error, slackError: code, instance: instanceId, ref },
        'could not update the progress message',
      );
      return false;
    }
  }

  async #timeZone(userId: string): Promise<string | undefined> {
    try {
      const info = await this.#o.client.users.info({ user: userId });
      if (info.user?.tz) return info.user.tz;
    } catch (error) {
      this.#o.metrics.slackErrors.inc({ method: 'users.info', error: slackErrorCode(error) });
    }
    return this.#o.api.whoami({ userId }).user?.tz ?? undefined;
  }
}
