// How users reach their machines, in the words every front end shows: Slack replies, the ready DM, App Home
// and the web pages all build from these, so a command or a config block reads the same everywhere. The
// strings themselves come from the provisioner's pure builders (provisioner/domain/ssh-access.ts).
import {
  hostKeyText,
  type Instance,
  knownHostsLines,
  primaryHostKey,
  sshAlias,
  sshConfigBlock,
  vscodeUri,
} from '../../provisioner/api.ts';

type Reachable = Pick<
  Instance,
  'name' | 'image' | 'phase' | 'sshHost' | 'sshJump' | 'loginUser' | 'hostKeys'
>;

/** "ED25519 SHA256:…" as `ssh` shows it the first time; null until TiSpace has read the machine's keys. */
export const fingerprintText = (i: Pick<Instance, 'hostKeys'>): string | null => {
  const key = primaryHostKey(i);
  return key ? hostKeyText(key) : null;
};

/** Why to look at the fingerprint, said once for every surface. */
export const FINGERPRINT_ADVICE =
  'compare it with what ssh shows the first time you connect; if they differ, do not continue';

/** What the VS Code link needs before it works. */
export const VSCODE_NEEDS = 'needs the ~/.ssh/config block and the Remote-SSH extension';

/** The VS Code link of a machine that has a config block (it opens the block's Host alias); else null. */
export const vscodeLink = (i: Reachable): string | null => (sshConfigBlock(i) ? vscodeUri(i) : null);

/**
 * Where the config file goes, with one of the user's aliases as the example (its own comment lines; Slack
 * and the web say the same in their markup). No angle brackets: Slack would read them as markup.
 */
export const sshConfigHowto = (example: Pick<Instance, 'name'>): string[] => [
  'Save as ~/.ssh/config.d/tispace and put "Include config.d/tispace" at the top of ~/.ssh/config',
  `(or append it to ~/.ssh/config). Then: ssh ${sshAlias(example)}, or VS Code Remote-SSH.`,
];

/** The machines a config file covers: those with a stable name, in name order. */
export const withSshConfig = <T extends Reachable>(instances: readonly T[]): T[] =>
  instances.filter((i) => sshConfigBlock(i) !== null).sort((a, b) => a.name.localeCompare(b.name));

/**
 * The ~/.ssh/config text of all these machines (Slack's `/tispace ssh-config` and GET /api/v1/ssh-config
 * return exactly this). Machines that never ran have no stable name yet and are left out; with none left,
 * the text is a comment that says so, harmless when appended to a config.
 */
export function sshConfigFile(instances: readonly Reachable[]): string {
  const covered = withSshConfig(instances);
  const head = ['# TiSpace machines (/tispace ssh-config, or GET /api/v1/ssh-config)'];
  if (covered.length === 0)
    return `${[...head, '# None of your machines has an SSH entry yet: a machine gets one once it has run.'].join('\n')}\n`;
  return [
    ...head,
    ...sshConfigHowto(covered[0]!).map((line) => `# ${line}`),
    '',
    ...covered.map((i) => sshConfigBlock(i)!),
  ].join('\n');
}

/** known_hosts lines of these machines (optional: trusting them up front skips the first-time prompt). */
export const knownHostsText = (instances: readonly Reachable[]): string =>
  withSshConfig(instances).flatMap(knownHostsLines).join('\n');
