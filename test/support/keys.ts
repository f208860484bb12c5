// An SSH public key for fixtures: creating a machine needs one (a machine nobody can log in to is refused).
// Keys are unique per user, not globally, so every fixture user can hold this one.
import type { Actor, ProvisionerApi } from '../../provisioner/api.ts';

export const TEST_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP/+w4NH231T/0k4WXbHL2G4+IeduuyPLPOYSsbnA3jR fixture@tispace.test';

/** Gives `actor` the fixture key (what `/tispace key add` does); throws if it is refused. */
export function giveTestKey(api: Pick<ProvisionerApi, 'addKey'>, actor: Actor): void {
  const added = api.addKey(actor, TEST_PUBLIC_KEY);
  if (!added.ok && added.error.code !== 'Conflict') throw new Error(added.error.message);
}
