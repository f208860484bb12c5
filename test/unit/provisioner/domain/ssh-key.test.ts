import { generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../../provisioner/domain/ssh-key.ts';

const ed25519 = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    pub: `${sshpk
      .parseKey(publicKey.export({ type: 'spki', format: 'pem' }), 'pem')
      .toString('ssh')
      .split(' ')
      .slice(0, 2)
      .join(' ')} ana@laptop`,
    priv: sshpk
      .parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'pem')
      .toString('ssh-private'),
  };
};

describe('SSH public keys', () => {
  it('accepts an OpenSSH ed25519 key and keeps its comment and SHA256 fingerprint', () => {
    const { pub } = ed25519();
    const r = parsePublicKey(pub);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.key.type).toBe('ssh-ed25519');
    expect(r.key.comment).toBe('ana@laptop');
    expect(r.key.fingerprint).toMatch(/^SHA256:/);
    expect(r.key.publicKey).toBe(pub);
  });

  it('refuses a private key with a warning and never echoes it', () => {
    const { priv } = ed25519();
    const r = parsePublicKey(priv);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.privateKey).toBe(true);
    expect(r.message).toMatch(/PRIVATE key.*not stored/);
    const body = priv.split('\n')[1]!;
    expect(r.message).not.toContain(body.slice(0, 20));
  });

  it.each(['hello', 'ssh-ed25519 not-base64!', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ'])(
    'refuses %j with what is allowed',
    (text) => {
      const r = parsePublicKey(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/OpenSSH public key/);
    },
  );

  it('refuses RSA keys under 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const line = sshpk.parseKey(publicKey.export({ type: 'spki', format: 'pem' }), 'pem').toString('ssh');
    const r = parsePublicKey(line);
    expect(!r.ok && r.message).toMatch(/at least 2048 bits/);
  });
});
