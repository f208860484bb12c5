// Live pages: every open dashboard holds a Server-Sent Events stream. The hub is a Notifier, plugged into
// the provisioner next to Slack's (fanOutNotifier), so a page hears of a phase change on the same path a
// Slack message does. Each subscriber re-reads the machine through the API as itself (authorization is
// re-checked per event) and gets the card's markup, rendered for its own session.
import type { ServerResponse } from 'node:http';
import type { Instance, Notifier, PhaseChange, StoredInstance } from '../../provisioner/api.ts';

export interface Subscriber {
  userId: string;
  isAdmin: boolean;
  res: ServerResponse;
  /**
   * The machine as this subscriber may see it (API JSON, and the card's markup for a browser page), or
   * undefined if it may not (or it is gone).
   */
  render(instance: Instance): { machine: unknown; html?: string } | undefined;
  /** Still signed in? Checked at each heartbeat; a signed-out stream is closed. */
  alive(): boolean;
  /** The machines whose current state is sent on connecting (a change between page and stream is not lost). */
  initial(): Instance[];
}

const HEARTBEAT_MS = 20_000;

export class LiveHub implements Notifier {
  readonly #subscribers = new Set<Subscriber>();
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#timer = setInterval(() => this.#heartbeat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  get size(): number {
    return this.#subscribers.size;
  }

  subscribe(s: Subscriber): void {
    s.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    s.res.write('retry: 3000\n\n');
    this.#subscribers.add(s);
    s.res.on('close', () => this.#subscribers.delete(s));
    const shown = s.initial();
    for (const instance of shown) this.#send(s, instance);
    // What exists now, so a page drops cards of machines that went while it had no stream: between its
    // render and this connection, or during a reconnect (no `gone` was sent for those).
    s.res.write(`event: present\ndata: ${JSON.stringify({ ids: shown.map((i) => i.id) })}\n\n`);
  }

  async instanceChanged(instance: Instance, _change?: PhaseChange): Promise<void> {
    for (const s of this.#subscribers)
      if (s.userId === instance.ownerId || s.isAdmin) this.#send(s, instance);
  }

  #send(s: Subscriber, instance: Instance): void {
    const card = s.render(instance);
    // Gone (deleted) or no longer visible: the page drops the card.
    if (!card) {
      s.res.write(`event: gone\ndata: ${JSON.stringify({ id: instance.id })}\n\n`);
      return;
    }
    // `mine`: a list page adds cards only of the viewer's own machines (an admin's list is theirs too).
    const mine = instance.ownerId === s.userId;
    s.res.write(`event: machine\ndata: ${JSON.stringify({ id: instance.id, mine, ...card })}\n\n`);
  }

  async notice(): Promise<boolean> {
    return true;
  }

  async adminAlert(): Promise<void> {}

  #heartbeat(): void {
    for (const s of this.#subscribers) {
      if (!s.alive()) {
        this.#subscribers.delete(s);
        s.res.end();
      } else s.res.write(': keep-alive\n\n');
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const s of this.#subscribers) s.res.end();
    this.#subscribers.clear();
  }
}

export type { StoredInstance };
