import sshpk from 'sshpk';

export interface ParsedKey {
  type: string;
  fingerprint: string;
  comment: string;
  /** Normalised one-line OpenSSH form: "<type> <base64> <comment>". */
  publicKey: string;
}

const ALLOWED = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
];
export const KEY_HELP =
  'paste one OpenSSH public key line, e.g. "ssh-ed25519 AAAA… you@laptop" (the contents of ~/.ssh/id_ed25519.pub)';

/** Why a create is refused when the user has no key yet, and how to add one (Slack and web). */
export const NO_SSH_KEY =
  'you have no SSH key yet, so you could not log in to the machine: add your public key first with `/tispace key add <key>` in Slack or on the SSH keys page of the web dashboard (the contents of ~/.ssh/id_ed25519.pub; `ssh-keygen -t ed25519` makes one), then create again';

/** True when the text looks like any private key (PEM/OpenSSH/PuTTY); such text is never stored or echoed. */
export const looksLikePrivateKey = (text: string): boolean =>
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-|-----BEGIN OPENSSH PRIVATE KEY-----/.test(text);

/** Parses an OpenSSH public key with sshpk (a real parser). Errors are user-facing and never echo input. */
export function parsePublicKey(
  text: string,
): { ok: true; key: ParsedKey } | { ok: false; message: string; privateKey?: true } {
  const trimmed = text.trim();
  if (looksLikePrivateKey(trimmed))
    return {
      ok: false,
      privateKey: true,
      message:
        'That is a PRIVATE key. It was not stored. Treat it as exposed: make a new key pair, and add only the .pub file.',
    };
  if (trimmed.includes('\n')) return { ok: false, message: `one key at a time: ${KEY_HELP}` };
  try {
    const key = sshpk.parseKey(trimmed, 'ssh');
    const line = key.toString('ssh');
    const type = line.split(' ')[0] ?? key.type;
    if (!ALLOWED.includes(type))
      return { ok: false, message: `key type ${type} is not accepted; use ed25519, ecdsa or rsa` };
    if (key.type === 'rsa' && key.size < 2048)
      return { ok: false, message: `RSA keys must be at least 2048 bits; this one has ${key.size}` };
    const comment = (trimmed.split(/\s+/).slice(2).join(' ') || '').slice(0, 100);
    return {
      ok: true,
      key: {
        type,
        fingerprint: key.fingerprint('sha256').toString(),
        comment,
        publicKey: comment
          ? `${line.split(' ').slice(0, 2).join(' ')} ${comment}`
          : line.split(' ').slice(0, 2).join(' '),
      },
    };
  } catch {
    return { ok: false, message: `that is not an OpenSSH public key; ${KEY_HELP}` };
  }
}
