import type { HostKey, Instance } from './instance.ts';

export type { HostKey };

import { objectNames } from './names.ts';

// How a user reaches a machine: always through TiSpace's SSH gateway (a stock OpenSSH jump host), to a
// name that stays the same for the machine's whole life — whichever node it runs on, however often it
// restarts. Everything here is pure: the front ends render these strings as they are.

/** The gateway as users reach it; `user` is the one shared jump login. */
export interface SshGateway {
  host: string;
  port: number;
  user: string;
}

/**
 * The machine's name as the gateway resolves it: its ClusterIP Service (`<id>-ssh`) in TiSpace's namespace.
 * Inside the cluster `<service>.<namespace>` resolves through the Pod's DNS search path
 * (`svc.cluster.local`).
 */
export const machineHostName = (id: string, namespace: string): string =>
  `${objectNames(id).service}.${namespace}`;

/** The ProxyJump spec of a gateway: user@host, with :port unless it is 22. */
export const jumpSpec = (gateway: SshGateway): string =>
  `${gateway.user}@${gateway.host}${gateway.port === 22 ? '' : `:${gateway.port}`}`;

/** The Host alias of a machine in ~/.ssh/config: unique per owner (names are unique among theirs). */
export const sshAlias = (instance: Pick<Instance, 'name'>): string => `${instance.name}.tispace`;

type Reachable = Pick<Instance, 'sshHost' | 'sshJump' | 'loginUser'>;

/** The one-line command that logs in, as printed to the user; null until the machine was seen running. */
export const sshCommand = (instance: Reachable): string | null =>
  instance.sshHost && instance.sshJump
    ? `ssh -J ${instance.sshJump} ${instance.loginUser}@${instance.sshHost}`
    : null;

/** The preferred host key to show: ed25519 first, as OpenSSH's own default order prefers it. */
export const primaryHostKey = (instance: Pick<Instance, 'hostKeys'>): HostKey | undefined =>
  instance.hostKeys.find((k) => k.type === 'ssh-ed25519') ?? instance.hostKeys[0];

/** "ED25519 SHA256:…" as `ssh` shows it when it asks to trust a new host. */
export const hostKeyText = (key: HostKey): string =>
  `${key.type
    .replace(/^ssh-/, '')
    .replace(/^ecdsa-sha2-nistp\d+$/, 'ECDSA')
    .toUpperCase()} ${key.fingerprint}`;

/** A VS Code Remote-SSH link that opens the login user's home on the machine (needs the config block). */
export const vscodeUri = (instance: Pick<Instance, 'name' | 'loginUser'>): string =>
  `vscode://vscode-remote/ssh-remote+${sshAlias(instance)}/home/${instance.loginUser}`;

/**
 * The ~/.ssh/config block of one machine. known_hosts is keyed by HostName, the machine's stable name, so
 * its host key is trusted once and stays trusted across restarts on other nodes; the key's fingerprint is
 * in the comment, to compare with what `ssh` shows the first time.
 */
export function sshConfigBlock(
  instance: Pick<Instance, 'name' | 'image' | 'sshHost' | 'sshJump' | 'loginUser' | 'hostKeys'>,
): string | null {
  if (!instance.sshHost || !instance.sshJump) return null;
  const key = primaryHostKey(instance);
  return [
    `# TiSpace machine ${instance.name} (${instance.image})`,
    `Host ${sshAlias(instance)}`,
    `  HostName ${instance.sshHost}`,
    `  User ${instance.loginUser}`,
    `  ProxyJump ${instance.sshJump}`,
    ...(key ? [`  # host key: ${hostKeyText(key)}`] : []),
    '',
  ].join('\n');
}

/** known_hosts lines for the machine's host keys (under its stable name), to trust it without a prompt. */
export const knownHostsLines = (instance: Pick<Instance, 'sshHost' | 'hostKeys'>): string[] =>
  instance.sshHost ? instance.hostKeys.map((k) => `${instance.sshHost} ${k.publicKey}`) : [];
