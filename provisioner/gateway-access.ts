// What the SSH gateway asks TiSpace (web/routes/gateway.ts serves it, behind the gateway's token): which
// machines an offered key may reach. Answers from SQLite alone, so a login never waits on Kubernetes.
import { fail, ok, type Result } from './errors.ts';
import { authorizedKeysText, FINGERPRINT_HELP, FINGERPRINT_RE } from './ssh/authorized-keys.ts';
import type { Store } from './store/store.ts';

export class GatewayAccess {
  readonly #store: Store;
  constructor(o: { store: Store }) {
    this.#store = o.store;
  }

  /**
   * The authorized_keys text for the key with this fingerprint (sshd's %f): empty for an unknown key or an
   * owner who is deactivated or not linked, so sshd refuses it.
   */
  authorizedKeys(fingerprint: string): Result<string> {
    if (!FINGERPRINT_RE.test(fingerprint))
      return fail('InvalidInput', `fingerprint must be ${FINGERPRINT_HELP}`, 'fingerprint');
    return ok(authorizedKeysText(this.#store.keys.gatewayGrants(fingerprint)));
  }
}
