// What the SSH gateway's sshd may accept for one offered key (its AuthorizedKeysCommand prints this).
// Pure: the query that feeds it is KeysRepo.gatewayGrants. OpenSSH checks permitopen against the host
// name the client asked for, as a string (no lookup), so a grant names each machine exactly as users
// are told to reach it (its stable name, Instance.sshHost).

/** One registered copy of the offered key and the machines its owner may reach with it now. */
export interface KeyGrant {
  publicKey: string;
  /** Stable names of the owner's running machines. */
  hosts: readonly string[];
}

/** The shape OpenSSH's %f token has for the default SHA256 fingerprints. */
export const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;
export const FINGERPRINT_HELP = 'an OpenSSH SHA256 fingerprint: "SHA256:" and 43 base64 characters';

// A DNS name and nothing else, so nothing can break out of the quoted option.
const HOST_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The one authorized_keys line for the offered key, or nothing. Every grant is the same key (one
 * fingerprint), possibly registered by more than one user: it reaches the running machines of all of them,
 * as each owner's own authorized_keys would allow, in ONE line — sshd applies the options of the first line
 * that matches and would ignore the rest.
 *
 * `restrict` turns off everything (PTY, agent, X11, user rc, every forwarding); `port-forwarding` turns
 * local forwarding back on, limited by one permitopen per machine. With no machine running the key gets
 * `restrict` alone: it still authenticates (so `ssh` does not say "Permission denied", which reads as a key
 * problem) and every channel is refused. `port-forwarding` without a permitopen would allow ANY
 * destination, so it is never written without one.
 */
export function authorizedKeysText(grants: readonly KeyGrant[]): string {
  const first = grants[0];
  if (!first) return '';
  const hosts = [...new Set(grants.flatMap((g) => g.hosts).filter((h) => HOST_RE.test(h)))].sort();
  const options = hosts.length
    ? ['restrict', 'port-forwarding', ...hosts.map((h) => `permitopen="${h}:22"`)].join(',')
    : 'restrict';
  return `${options} ${first.publicKey}\n`;
}
