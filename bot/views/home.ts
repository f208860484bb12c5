import type { types } from '@slack/bolt';
import type { StoredInstance, UsageReport } from '../../provisioner/api.ts';
import { ACTIONS, CALLBACKS, EXTEND_BY_PREFIX, HOME_PAGE_SIZE, homeInstanceBlock } from '../constants.ts';
import { type AnyBlock, actions, type Button, button, context, divider, header, section } from './blocks.ts';
import { leaseText, phaseLabel, sizeText, sshLine } from './format.ts';
import { fingerprintText, VSCODE_NEEDS, vscodeLink } from './ssh-access.ts';

export interface HomeOptions {
  instances: readonly StoredInstance[];
  usage: UsageReport | undefined;
  /** Zero-based; clamped to the last page. */
  page: number;
  now: Date;
  /** The result of the user's last action here (or why it was refused). */
  notice?: string | undefined;
  /** Shown instead of the machines when the user has not linked their Google account. */
  link?: { message: string; url: string | undefined } | undefined;
  /** Extension offered by the Extend button, e.g. "1d". */
  extendBy: string;
  deleteGrace: string;
}

/** How to reach a running machine, in its own section (no extra blocks: a page must stay under 100). */
function connectLines(i: StoredInstance): string {
  const ssh = i.phase === 'running' ? sshLine(i) : null;
  if (!ssh) return '';
  const fp = fingerprintText(i);
  const vscode = vscodeLink(i);
  return [
    '',
    ssh,
    [
      fp ? `Host key \`${fp}\`` : 'Host key not read yet',
      ...(vscode ? [`<${vscode}|Open in VS Code> (${VSCODE_NEEDS})`] : []),
    ].join(' · '),
  ].join('\n');
}

const pageCount = (n: number): number => Math.max(1, Math.ceil(n / HOME_PAGE_SIZE));

function instanceBlocks(i: StoredInstance, o: HomeOptions): AnyBlock[] {
  const running = i.desired === 'running';
  const buttons: Button[] = [
    button({ text: 'SSH info', actionId: ACTIONS.sshInfo, value: i.id }),
    button({ text: `Extend +${o.extendBy}`, actionId: `${EXTEND_BY_PREFIX}${o.extendBy}`, value: i.id }),
    running
      ? button({ text: 'Stop', actionId: ACTIONS.stop, value: i.id })
      : button({ text: 'Start', actionId: ACTIONS.start, value: i.id, style: 'primary' }),
    button({
      text: 'Delete',
      actionId: ACTIONS.deleteConfirm,
      value: i.id,
      style: 'danger',
      confirm: {
        title: `Delete ${i.name}?`,
        text: `The disk is snapshotted and restorable for ${o.deleteGrace} with /tispace restore ${i.name}.`,
        confirm: 'Delete',
        deny: 'Keep it',
      },
    }),
  ];
  return [
    section(
      `*${i.name}* — ${phaseLabel(i)}\n${sizeText(i)} · ${i.image} · node ${i.node ?? '—'} · ${leaseText(i, o.now)}${connectLines(i)}`,
    ),
    actions(i.desired === 'deleted' ? [] : buttons, homeInstanceBlock(i.id)),
  ].filter((b) => b.type !== 'actions' || (b as types.ActionsBlock).elements.length > 0);
}

/** The App Home: usage against quota, a create button and the user's machines, paged. */
export function homeView(o: HomeOptions): types.HomeView {
  const blocks: AnyBlock[] = [header('TiSpace')];
  if (o.notice) blocks.push(section(`:information_source: ${o.notice}`));
  if (o.link) {
    blocks.push(
      section(
        `:key: ${o.link.message}`,
        o.link.url
          ? button({
              text: 'Link your Google account',
              actionId: ACTIONS.linkGoogle,
              url: o.link.url,
              style: 'primary',
            })
          : undefined,
      ),
    );
    return { type: 'home', callback_id: CALLBACKS.home, blocks };
  }
  if (o.usage) {
    const { used, quota } = o.usage;
    blocks.push(
      section(
        `*Usage* — machines ${used.instances}/${quota.instances} · CPU ${used.cpu}/${quota.cpu} · memory ${used.memoryGiB}/${quota.memoryGiB} GiB · disk ${used.diskGiB}/${quota.diskGiB} GiB`,
      ),
    );
  }
  blocks.push(
    actions([button({ text: 'Create a machine', actionId: ACTIONS.openCreate, style: 'primary' })]),
  );
  blocks.push(divider());
  const pages = pageCount(o.instances.length);
  const page = Math.min(Math.max(0, o.page), pages - 1);
  if (o.instances.length === 0) blocks.push(section('You have no machines yet.'));
  const shown = o.instances.slice(page * HOME_PAGE_SIZE, (page + 1) * HOME_PAGE_SIZE);
  for (const i of shown) blocks.push(...instanceBlocks(i, o));
  if (pages > 1) {
    blocks.push(context(`Page ${page + 1} of ${pages} · ${o.instances.length} machines`));
    const nav: Button[] = [];
    if (page > 0)
      nav.push(button({ text: '← Previous', actionId: ACTIONS.homePrev, value: String(page - 1) }));
    if (page < pages - 1)
      nav.push(button({ text: 'Next →', actionId: ACTIONS.homeNext, value: String(page + 1) }));
    blocks.push(actions(nav));
  }
  return {
    type: 'home',
    callback_id: CALLBACKS.home,
    private_metadata: JSON.stringify({ page }),
    blocks,
  };
}
