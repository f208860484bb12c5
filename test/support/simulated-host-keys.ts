// Simulated (KWOK) nodes run no sshd, so nothing there can present a host key. This reader stands in for
// ssh-keyscan with a real ed25519 key derived from the address: the same machine address always shows
// the same key (as a real root disk would), and its fingerprint is a real SHA256 fingerprint.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import sshpk from 'sshpk';
import type { HostKey } from '../../provisioner/domain/ssh-access.ts';
import type { HostKeyReader } from '../../provisioner/ssh/host-key-reader.ts';

/** PKCS#8 DER prefix of an ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const sshString = (b: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};

/** The "ssh-ed25519 AAAA…" public key derived from `address`. */
export function simulatedHostPublicKey(address: string): string {
  const seed = createHash('sha256').update(`tispace simulated host key ${address}`).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')}`;
}

/** The host key derived from `address`, as the reader reports it. */
export function simulatedHostKey(address: string): HostKey {
  const publicKey = simulatedHostPublicKey(address);
  const fingerprint = sshpk.parseKey(publicKey, 'ssh').fingerprint('sha256').toString();
  return { type: 'ssh-ed25519', fingerprint, publicKey };
}

/** For Provisioners over simulated nodes: every address answers with its own derived ed25519 key. */
export const simulatedNodeHostKeys: HostKeyReader = {
  read: async (address) => ({ ok: true, keys: [simulatedHostKey(address)] }),
};
