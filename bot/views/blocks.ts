// Tiny Block Kit constructors. They clip text to Slack's limits so a long name or message can never make
// Slack reject a whole message.
import type { types } from '@slack/bolt';

type Block = types.Block;
type Button = types.Button;
type KnownBlock = types.KnownBlock;
type PlainTextElement = types.PlainTextElement;

export type { Button, KnownBlock };
export type AnyBlock = KnownBlock | Block;

export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;

export const plain = (text: string, max = 3000): PlainTextElement => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});

export const header = (text: string): KnownBlock => ({ type: 'header', text: plain(text, 150) });

export const section = (text: string, accessory?: Button, blockId?: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text, 3000) },
  ...(accessory ? { accessory } : {}),
  ...(blockId ? { block_id: blockId } : {}),
});

export const fields = (items: string[]): KnownBlock => ({
  type: 'section',
  fields: items.slice(0, 10).map((t) => ({ type: 'mrkdwn' as const, text: clip(t, 2000) })),
});

export const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text, 3000) }],
});

export const divider = (): KnownBlock => ({ type: 'divider' });

export const actions = (elements: Button[], blockId?: string): KnownBlock => ({
  type: 'actions',
  elements: elements.slice(0, 25),
  ...(blockId ? { block_id: blockId } : {}),
});

export interface ButtonOptions {
  text: string;
  actionId: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export const button = (o: ButtonOptions): Button => ({
  type: 'button',
  text: plain(o.text, 75),
  action_id: o.actionId,
  ...(o.value !== undefined ? { value: clip(o.value, 2000) } : {}),
  ...(o.url ? { url: o.url } : {}),
  ...(o.style ? { style: o.style } : {}),
  ...(o.confirm
    ? {
        confirm: {
          title: plain(o.confirm.title, 100),
          text: { type: 'mrkdwn' as const, text: clip(o.confirm.text, 300) },
          confirm: plain(o.confirm.confirm, 30),
          deny: plain(o.confirm.deny, 30),
          style: 'danger' as const,
        },
      }
    : {}),
});

/** A message body: `text` is the notification/fallback, `blocks` the layout. */
export interface MessageContent {
  text: string;
  blocks?: AnyBlock[];
}
