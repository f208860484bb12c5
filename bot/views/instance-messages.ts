import { formatUtc, type Instance, type StoredInstance } from '../../provisioner/api.ts';
import { ACTIONS } from '../constants.ts';
import { type AnyBlock, actions, button, context, fields, type MessageContent, section } from './blocks.ts';
import { failureReason, leaseText, phaseLabel, sizeText, sshLine } from './format.ts';

// The SSH reply lives with the other SSH texts; listeners import it from here as before.
export { sshMessage } from './ssh-messages.ts';

/** One line per instance; long lists are packed into few sections so a message stays under 50 blocks. */
export function instanceListMessage(o: {
  instances: readonly StoredInstance[];
  now: Date;
  title?: string;
  showOwner?: boolean;
}): MessageContent {
  const title = o.title ?? 'Your machines';
  if (o.instances.length === 0) return { text: 'You have no machines. Create one with `/tispace create`.' };
  const lines = o.instances.map(
    (i) =>
      `*${i.name}*${o.showOwner ? ` (\`${i.id}\`, <@${i.ownerId}>)` : ''} — ${phaseLabel(i)} — ${sizeText(i)} — ${leaseText(i, o.now)}${i.keep ? ' — kept' : ''}`,
  );
  const blocks: AnyBlock[] = [section(`*${title}* (${o.instances.length})`)];
  let chunk = '';
  for (const line of lines) {
    if (chunk.length + line.length + 1 > 2900) {
      blocks.push(section(chunk));
      chunk = '';
    }
    chunk += `${chunk ? '\n' : ''}${line}`;
  }
  if (chunk) blocks.push(section(chunk));
  if (blocks.length > 49)
    return {
      text: `${title}: ${o.instances.length}`,
      blocks: [...blocks.slice(0, 48), context('List truncated; use the App Home for all.')],
    };
  return { text: `${title}: ${o.instances.length}`, blocks };
}

export function instanceInfoMessage(i: StoredInstance, now: Date): MessageContent {
  const ssh = sshLine(i);
  const reason = i.phase === 'failed' ? failureReason(i) : undefined;
  return {
    text: `${i.name}: ${i.phase}`,
    blocks: [
      section(`*${i.name}* — ${phaseLabel(i)}`),
      fields([
        `*Size*\n${sizeText(i)}`,
        `*Image*\n${i.image}`,
        `*Node*\n${i.node ?? '—'}`,
        `*Lease*\n${leaseText(i, now)} (${formatUtc(i.leaseEndsAt)})`,
        `*SSH*\n${ssh ?? 'not reachable yet'}`,
        `*Id*\n\`${i.id}\``,
      ]),
      ...(reason ? [section(`:warning: ${reason}`)] : []),
    ],
  };
}

/** The "are you sure" for a delete: says the disk is snapshotted and for how long it can be restored. */
export function deleteConfirmMessage(i: Instance, grace: string): MessageContent {
  const text = `Delete *${i.name}* (${sizeText(i)})? The machine stops, a snapshot of its disk is taken and kept for ${grace} — \`/tispace restore ${i.name}\` brings it back until then.`;
  return {
    text,
    blocks: [
      section(`:warning: ${text}`),
      actions([
        button({ text: `Delete ${i.name}`, actionId: ACTIONS.deleteConfirm, value: i.id, style: 'danger' }),
        button({ text: 'Cancel', actionId: ACTIONS.deleteCancel, value: i.id }),
      ]),
    ],
  };
}

// The confirmations of a change, worded once for the slash command and the buttons alike.

export const stoppingText = (i: Pick<Instance, 'name'>): string =>
  `:double_vertical_bar: Stopping *${i.name}*. The disk is kept; \`/tispace start ${i.name}\` starts it again.`;

export const startingText = (i: Pick<Instance, 'name'>): string =>
  `:arrow_forward: Starting *${i.name}*. I'll DM you when it is ready.`;

/** `amount`: the extension as the user asked for it (or the default lease, formatted). */
export const extendedText = (i: Pick<Instance, 'name' | 'leaseEndsAt'>, amount: string): string =>
  `:hourglass: Extended *${i.name}* by ${amount}; the lease now ends ${formatUtc(i.leaseEndsAt)}.`;

export const deletingText = (i: Pick<Instance, 'name'>, grace: string): string =>
  `:wastebasket: Deleting *${i.name}*. Its disk is snapshotted first and restorable for ${grace} with \`/tispace restore ${i.name}\`.`;
