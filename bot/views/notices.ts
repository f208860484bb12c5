import { formatDuration, type JobNotice } from '../../provisioner/api.ts';
import { ACTIONS, EXTEND_BY_PREFIX } from '../constants.ts';
import {
  type AnyBlock,
  actions,
  type Button,
  button,
  context,
  type MessageContent,
  section,
} from './blocks.ts';
import { localTime, sizeText } from './format.ts';

/** Renders a scheduled job's notice; times are shown in the recipient's own time zone. */
export function noticeMessage(notice: JobNotice, tz: string | null | undefined): MessageContent {
  switch (notice.kind) {
    case 'lease-reminder': {
      const i = notice.instance;
      const when = localTime(notice.endsAt, tz);
      const text = `${notice.final ? ':alarm_clock: Last reminder: ' : ':hourglass: '}the lease of *${i.name}* ends ${when}. Then it is stopped (the disk is kept).`;
      const buttons: Button[] = notice.buttons.extendOptions.slice(0, 5).map((ms) =>
        button({
          text: `Extend +${formatDuration(ms)}`,
          actionId: `${EXTEND_BY_PREFIX}${formatDuration(ms)}`,
          value: i.id,
        }),
      );
      if (notice.buttons.canStop)
        buttons.push(button({ text: 'Stop now', actionId: ACTIONS.stop, value: i.id }));
      if (notice.buttons.canDelete)
        buttons.push(button({ text: 'Delete', actionId: ACTIONS.deleteAsk, value: i.id, style: 'danger' }));
      const blocks: AnyBlock[] = [section(text), context(sizeText(i))];
      if (buttons.length) blocks.push(actions(buttons));
      else blocks.push(context('The lease is at its maximum; it cannot be extended further.'));
      return { text: `The lease of ${i.name} ends ${when}`, blocks };
    }
    case 'lease-expired': {
      const i = notice.instance;
      const text = `:stop_button: The lease of *${i.name}* ended, so it was stopped. The disk is kept: \`/tispace start ${i.name}\` starts it again with a new lease.`;
      return { text: `${i.name} was stopped: its lease ended`, blocks: [section(text)] };
    }
    case 'idle-warning': {
      const i = notice.instance;
      const when = localTime(notice.stopAt, tz);
      return {
        text: `${i.name} looks idle and will be stopped ${when}`,
        blocks: [
          section(
            `:zzz: *${i.name}* looks idle: ${notice.evidence}. It will be stopped ${when} (the disk is kept).`,
          ),
          actions([
            button({
              text: "I'm still using it",
              actionId: ACTIONS.stillUsing,
              value: i.id,
              style: 'primary',
            }),
            button({ text: 'Stop now', actionId: ACTIONS.stop, value: i.id }),
          ]),
        ],
      };
    }
    case 'idle-stopped': {
      const i = notice.instance;
      return {
        text: `${i.name} was stopped because it was idle`,
        blocks: [
          section(
            `:zzz: *${i.name}* was stopped because it was idle: ${notice.evidence}. The disk is kept: \`/tispace start ${i.name}\` starts it again.`,
          ),
        ],
      };
    }
    case 'retention-reminder': {
      const i = notice.instance;
      const when = localTime(notice.deleteAt, tz);
      return {
        text: `${i.name} will be deleted ${when}`,
        blocks: [
          section(
            `${notice.final ? ':warning: Last reminder: ' : ''}*${i.name}* has been stopped for a while and will be deleted ${when} (a snapshot is kept for a grace period). Start it to keep it: \`/tispace start ${i.name}\`.`,
          ),
          actions([
            button({ text: 'Start it', actionId: ACTIONS.start, value: i.id, style: 'primary' }),
            button({ text: 'Delete now', actionId: ACTIONS.deleteAsk, value: i.id, style: 'danger' }),
          ]),
        ],
      };
    }
    case 'snapshot-taken': {
      const i = notice.instance;
      const until = localTime(notice.restoreUntil, tz);
      return {
        text: `${i.name} was deleted; restorable until ${until}`,
        blocks: [
          section(
            `:camera: *${i.name}* was deleted after a snapshot of its disk. Restore it until ${until} with \`/tispace restore ${i.name}\`.`,
          ),
        ],
      };
    }
    case 'offboarded':
      return offboardedMessage(notice.userId, notice.stopped, notice.reason);
  }
}

export function offboardedMessage(
  userId: string,
  stopped: readonly { id: string; name: string }[],
  reason: string,
): MessageContent {
  const list = stopped.length ? stopped.map((i) => `\`${i.id}\``).join(', ') : 'none';
  const text = `:bust_in_silhouette: <@${userId}> was offboarded (${reason}). Stopped instances (disks kept): ${list}.`;
  return { text, blocks: [section(text)] };
}

/** Replaces a notice once its button was used, so the message shows what happened. */
export const noticeOutcome = (text: string): MessageContent => ({ text, blocks: [section(text)] });
