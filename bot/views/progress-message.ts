import type { Instance, PhaseChange } from '../../provisioner/api.ts';
import { type AnyBlock, context, type MessageContent, section } from './blocks.ts';
import { failureReason, phaseLabel, sizeText, sshLine } from './format.ts';
import { hostKeyLine, vscodeLine } from './ssh-messages.ts';

const STEP: Partial<Record<Instance['phase'], string>> = {
  requested: 'Request accepted; reserving resources…',
  provisioning: 'Cloning the disk from the image and starting the VM…',
  stopping: 'Stopping…',
  stopped: 'Stopped. The disk is kept.',
  deleting: 'Deleting (the disk is snapshotted first)…',
  deleted: 'Deleted.',
};

/** The one message that follows an instance from request to ready (updated in place on every phase). */
export function progressMessage(i: Instance, change?: PhaseChange): MessageContent {
  const title = `*${i.name}* — ${phaseLabel(i)}`;
  const blocks: AnyBlock[] = [section(title), context(`${sizeText(i)} · ${i.image}`)];
  let text: string;
  if (i.phase === 'running') {
    const ssh = sshLine(i);
    text = ssh
      ? `${i.name} is ready. Connect with ${ssh}`
      : `${i.name} is running; the SSH address is being assigned — \`/tispace ssh ${i.name}\` shows it.`;
    blocks.push(section(`:white_check_mark: ${text}`));
    if (ssh) {
      const vscode = vscodeLine(i);
      blocks.push(section(`${hostKeyLine(i)}${vscode ? `\n${vscode}` : ''}`));
      blocks.push(
        context(
          `\`/tispace ssh ${i.name}\` shows its ~/.ssh/config block; \`/tispace ssh-config\` all of yours.`,
        ),
      );
    }
  } else if (i.phase === 'failed') {
    const why = change?.reason ?? failureReason(i) ?? 'the reason was not reported';
    text = `${i.name} failed: ${why}`;
    blocks.push(
      section(
        `:x: ${text}\nWhat to do: \`/tispace start ${i.name}\` retries; \`/tispace delete ${i.name}\` gives the quota back; choose a smaller size if it did not fit.`,
      ),
    );
  } else {
    text = `${i.name}: ${STEP[i.phase] ?? i.phase}`;
    blocks.push(section(STEP[i.phase] ?? i.phase));
    if (change?.reason && i.phase === 'provisioning') blocks.push(context(change.reason));
  }
  return { text, blocks };
}
