// The authorized_keys line the gateway's sshd gets: the options are the whole security of the gateway, so
// the rule that matters most is pinned on its own — forwarding is never enabled without a destination list.
import { describe, expect, it } from 'vitest';
import { authorizedKeysText } from '../../../../provisioner/ssh/authorized-keys.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP/+w4NH231T/0k4WXbHL2G4+IeduuyPLPOYSsbnA3jR';

describe('authorizedKeysText', () => {
  it('never writes port-forwarding without a permitopen (that would allow any destination)', () => {
    for (const hosts of [[], ['BAD name'], ['x";rm', '"quoted"'], ['a..b:22']]) {
      const text = authorizedKeysText([{ publicKey: KEY, hosts }]);
      expect(text).toBe(`restrict ${KEY}\n`);
    }
  });

  it('lists each machine once, sorted, each limited to port 22, and drops names that are not DNS names', () => {
    expect(
      authorizedKeysText([
        {
          publicKey: KEY,
          hosts: ['web1-bcdfg-ssh.tispace', 'box-ghjkl-ssh.tispace', 'evil",permitopen="*:*'],
        },
        { publicKey: KEY, hosts: ['box-ghjkl-ssh.tispace'] },
      ]),
    ).toBe(
      `restrict,port-forwarding,permitopen="box-ghjkl-ssh.tispace:22",permitopen="web1-bcdfg-ssh.tispace:22" ${KEY}\n`,
    );
  });

  it('answers nothing when no user holds the key', () => {
    expect(authorizedKeysText([])).toBe('');
  });
});
