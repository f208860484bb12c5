// `/tispace ssh <name>` and `/tispace ssh-config`: how to connect, in Slack's markup. The texts are built
// from ssh-access.ts, the same as the ready DM, App Home and the web pages.
import { type Instance, sshAlias, sshCommand, sshConfigBlock } from '../../provisioner/api.ts';
import { type AnyBlock, context, type MessageContent, section } from './blocks.ts';
import {
  FINGERPRINT_ADVICE,
  fingerprintText,
  knownHostsText,
  sshConfigFile,
  VSCODE_NEEDS,
  vscodeLink,
  withSshConfig,
} from './ssh-access.ts';

/** A code block; Slack shows it verbatim (the texts here never contain `&`, `<` or `>`). */
const code = (text: string): string => `\`\`\`${text.trimEnd()}\`\`\``;

/** The host key line: the fingerprint to compare, or that it is not known yet. */
export const hostKeyLine = (i: Pick<Instance, 'name' | 'hostKeys'>): string => {
  const fp = fingerprintText(i);
  return fp
    ? `*Host key* \`${fp}\` — ${FINGERPRINT_ADVICE}.`
    : `*Host key* not read yet (TiSpace reads it once the machine's sshd answers); \`/tispace ssh ${i.name}\` shows it later.`;
};

/** "Open in VS Code" as a Slack link (buttons take only http(s) URLs), with what it needs. */
export const vscodeLine = (i: Instance): string | null => {
  const uri = vscodeLink(i);
  return uri
    ? `:computer: <${uri}|Open in VS Code> — ${VSCODE_NEEDS} (or in VS Code: Remote-SSH: Connect to Host… → \`${sshAlias(i)}\`).`
    : null;
};

const configSection = (i: Instance, lead: string): string | null => {
  const block = sshConfigBlock(i);
  return block ? `${lead}\n${code(block)}` : null;
};

/** Everything about reaching one machine: the reply to `/tispace ssh <name>` (and the Home's SSH modal). */
export function sshMessage(i: Instance): MessageContent {
  const cmd = sshCommand(i);
  let parts: (string | null)[];
  if (i.phase === 'running' && cmd) {
    parts = [
      `:large_green_circle: *${i.name}* is running. Connect with:\n${code(cmd)}`,
      hostKeyLine(i),
      configSection(
        i,
        `*~/.ssh/config* — add this block, then \`ssh ${sshAlias(i)}\` (all your machines: \`/tispace ssh-config\`):`,
      ),
      vscodeLine(i),
    ];
  } else {
    const why: Record<Instance['phase'], string> = {
      running: `*${i.name}* is running; its SSH address is being assigned — try again in a moment.`,
      requested: `*${i.name}* is being created; the SSH command appears when it is running (I'll DM you).`,
      provisioning: `*${i.name}* is starting; the SSH command appears when it is running (I'll DM you).`,
      stopping: `*${i.name}* is stopping — \`/tispace start ${i.name}\` starts it again.`,
      stopped: `*${i.name}* is stopped — \`/tispace start ${i.name}\` starts it.`,
      failed: `*${i.name}* failed — \`/tispace start ${i.name}\` retries; \`/tispace info ${i.name}\` says why.`,
      deleting: `*${i.name}* is being deleted; there is nothing to connect to.`,
      deleted: `*${i.name}* is deleted; there is nothing to connect to.`,
    };
    const keeps = i.phase !== 'deleting' && i.phase !== 'deleted';
    parts = [
      why[i.phase],
      keeps
        ? configSection(
            i,
            `Its ~/.ssh/config block stays the same across restarts (then \`ssh ${sshAlias(i)}\` once it runs):`,
          )
        : null,
    ];
  }
  const text = parts.filter((p): p is string => p !== null).join('\n');
  return { text, blocks: [section(text)] };
}

/**
 * A code text as Slack code blocks of at most 3000 characters each (a section's limit), split only between
 * `sep`-separated units (machines' blocks, known_hosts lines), so each piece can be copied as it is.
 */
function codeSections(text: string, sep: string): string[] {
  const limit = 3000 - 10;
  const out: string[] = [];
  let chunk = '';
  for (const unit of text.split(sep)) {
    const next = chunk ? `${chunk}${sep}${unit}` : unit;
    if (next.length > limit && chunk) {
      out.push(chunk);
      chunk = unit.slice(0, limit);
    } else chunk = next.slice(0, limit);
  }
  if (chunk) out.push(chunk);
  return out.map(code);
}

/** Sections stay well under Slack's 50 blocks even for an admin with hundreds of machines. */
const MAX_CODE_SECTIONS = 40;

/** `/tispace ssh-config`: the ~/.ssh/config text of all the user's machines that have one. */
export function sshConfigMessage(instances: readonly Instance[]): MessageContent {
  if (instances.length === 0)
    return {
      text: 'You have no machines, so there is no SSH config yet. Create one with `/tispace create`.',
    };
  const covered = withSshConfig(instances);
  if (covered.length === 0)
    return {
      text: 'None of your machines has an SSH entry yet: a machine gets one once it has run. `/tispace list` shows where they are.',
    };
  const config = codeSections(sshConfigFile(covered), '\n\n');
  const known = knownHostsText(covered);
  const left = instances.filter((i) => !covered.includes(i) && i.phase !== 'deleted');
  const blocks: AnyBlock[] = [
    section(
      `*~/.ssh/config for your machines* (${covered.length})\nSave it as \`~/.ssh/config.d/tispace\` and put \`Include config.d/tispace\` at the top of \`~/.ssh/config\` — or append it with \`>> ~/.ssh/config\`. Then \`ssh ${sshAlias(covered[0]!)}\`, or open the machine in VS Code with Remote-SSH.`,
    ),
    ...config.slice(0, MAX_CODE_SECTIONS).map((c) => section(c)),
  ];
  if (config.length > MAX_CODE_SECTIONS)
    blocks.push(context('Too long for one message: GET /api/v1/ssh-config returns all of it.'));
  if (known)
    blocks.push(
      section(
        'Optional — trust their host keys now instead of at the first prompt: add to `~/.ssh/known_hosts`',
      ),
      ...codeSections(known, '\n')
        .slice(0, 3)
        .map((c) => section(c)),
    );
  if (left.length)
    blocks.push(context(`Not included (never ran, no SSH entry yet): ${left.map((i) => i.name).join(', ')}`));
  return { text: `~/.ssh/config for your machines: ${covered.map((i) => i.name).join(', ')}`, blocks };
}
