import { ADMIN_SUBCOMMANDS, SUBCOMMANDS } from '../subcommands/catalog.ts';
import { type AnyBlock, context, type MessageContent, section } from './blocks.ts';

export interface HelpOptions {
  isAdmin: boolean;
  /** What the user typed that was not understood, and the closest known subcommand. */
  unknown?: { input: string; suggestion?: string | undefined };
}

export function helpMessage(o: HelpOptions): MessageContent {
  const blocks: AnyBlock[] = [];
  let lead = '*TiSpace* — development machines on demand.';
  if (o.unknown) {
    lead = `I don't know \`${o.unknown.input.slice(0, 60)}\`.${o.unknown.suggestion ? ` Did you mean \`/tispace ${o.unknown.suggestion}\`?` : ''} Here is what I understand:`;
  }
  blocks.push(section(lead));
  blocks.push(section(SUBCOMMANDS.map((s) => `\`${s.usage}\` — ${s.summary}`).join('\n')));
  if (o.isAdmin)
    blocks.push(
      section(`*Admin*\n${ADMIN_SUBCOMMANDS.map((s) => `\`${s.usage}\` — ${s.summary}`).join('\n')}`),
    );
  blocks.push(context('Durations: 90m, 12h, 3d, 2w. Names: lowercase letters, digits and "-".'));
  return { text: lead, blocks };
}
