import {
  formatUtc,
  type ImageConfig,
  type NodeFree,
  type SshKey,
  type UsageReport,
  type Whoami,
} from '../../provisioner/api.ts';
import { type MessageContent, section } from './blocks.ts';

export function keyListMessage(keys: readonly SshKey[]): MessageContent {
  if (keys.length === 0)
    return { text: 'You have no SSH keys. Add one: `/tispace key add ssh-ed25519 AAAA… you@laptop`.' };
  const lines = keys.map(
    (k) => `*${k.id}.* ${k.type} \`${k.fingerprint}\`${k.comment ? ` — ${k.comment}` : ''}`,
  );
  return {
    text: `Your SSH keys (${keys.length})`,
    blocks: [section(`*Your SSH keys*\n${lines.join('\n')}`)],
  };
}

export function quotaMessage(u: UsageReport): MessageContent {
  const row = (label: string, used: number, quota: number, unit = '') =>
    `${label}: ${used}${unit} of ${quota}${unit} (${Math.max(0, quota - used)}${unit} left)`;
  const text = [
    '*Your usage*',
    row('Machines', u.used.instances, u.quota.instances),
    row('CPU (running)', u.used.cpu, u.quota.cpu),
    row('Memory (running)', u.used.memoryGiB, u.quota.memoryGiB, ' GiB'),
    row('Disk', u.used.diskGiB, u.quota.diskGiB, ' GiB'),
  ].join('\n');
  return { text, blocks: [section(text)] };
}

export function imagesMessage(
  images: readonly ImageConfig[],
  sizes: Readonly<Record<string, { cpu: number; memoryGiB: number }>>,
): MessageContent {
  const imageLines = images.map(
    (i) =>
      `\`${i.name}\` — ${i.description || 'no description'} (disk ${i.minDiskGiB}+ GiB, default ${i.defaultDiskGiB})`,
  );
  const sizeLines = Object.entries(sizes).map(([n, s]) => `\`${n}\` — ${s.cpu} CPU, ${s.memoryGiB} GiB`);
  const text = `*Images*\n${imageLines.join('\n')}\n*Sizes* (\`--size\`)\n${sizeLines.join('\n')}`;
  return { text, blocks: [section(text)] };
}

export function whoamiMessage(w: Whoami, slackUserId: string): MessageContent {
  if (!w.user?.email || (!w.linked && !w.linkExpired))
    return { text: `You are <@${slackUserId}>; no Google account is linked. Run \`/tispace login\`.` };
  const state = w.linkExpired
    ? `expired ${formatUtc(w.user.linkExpiresAt!)} — run \`/tispace login\``
    : `valid until ${formatUtc(w.user.linkExpiresAt!)}`;
  return {
    text: `You are <@${slackUserId}>, linked to *${w.user.email}* (${state}).${w.isAdmin ? ' You are a TiSpace admin.' : ''}`,
  };
}

export function capacityMessage(nodes: readonly NodeFree[]): MessageContent {
  if (nodes.length === 0) return { text: 'No development nodes are available.' };
  const gib = (b: number) => (b / 1024 ** 3).toFixed(1);
  const lines = nodes.map(
    (n) =>
      `\`${n.node}\` — free ${(n.cpuMilli / 1000).toFixed(2)} of ${(n.allocatable.cpuMilli / 1000).toFixed(2)} CPU, ${gib(n.memoryBytes)} of ${gib(n.allocatable.memoryBytes)} GiB`,
  );
  const text = `*Cluster capacity* (${nodes.length} nodes)\n${lines.join('\n')}`;
  return { text, blocks: [section(text)] };
}
