import { parsePublicKey } from '../domain/ssh-key.ts';
import { fail, ok, type Result } from '../errors.ts';
import type { SshKey } from '../store/keys-repo.ts';
import type { Actor, ServiceContext } from './context.ts';

const MAX_KEYS = 20;

/** The actor's SSH public keys; every change reaches the Secrets of their machines (the reconciler applies it). */
export function keysApi(ctx: ServiceContext) {
  const touchOwnerInstances = (userId: string): void => {
    for (const i of ctx.store.instances.listByOwner(userId)) if (i.desired !== 'deleted') ctx.wake(i.id);
  };
  return {
    addKey(actor: Actor, text: string): Result<SshKey> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const parsed = parsePublicKey(text);
      if (!parsed.ok) return fail('InvalidInput', parsed.message, 'key');
      if (ctx.store.keys.list(actor.userId).length >= MAX_KEYS)
        return fail('InvalidInput', `you have ${MAX_KEYS} keys, the most allowed; remove one first`, 'key');
      const added = ctx.store.keys.add({
        userId: actor.userId,
        ...parsed.key,
        createdAt: ctx.now().toISOString(),
      });
      if (!added)
        return fail('Conflict', `that key (${parsed.key.fingerprint}) is already registered`, 'key');
      ctx.audit(actor.userId, 'key-added', null, 'SSH key added', { fingerprint: added.fingerprint });
      touchOwnerInstances(actor.userId);
      return ok(added);
    },

    listKeys(actor: Actor): Result<SshKey[]> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      return ok(ctx.store.keys.list(actor.userId));
    },

    removeKey(actor: Actor, keyRef: string): Result<SshKey> {
      const who = ctx.requireUser(actor);
      if (!who.ok) return who;
      const keys = ctx.store.keys.list(actor.userId);
      const key = keys.find(
        (k) => String(k.id) === keyRef || k.fingerprint === keyRef || (k.comment && k.comment === keyRef),
      );
      if (!key)
        return fail(
          'NotFound',
          `no key "${keyRef}"; your keys are: ${keys.map((k) => `${k.id} (${k.comment || k.fingerprint})`).join(', ') || 'none'}`,
          'key',
        );
      ctx.store.keys.remove(actor.userId, key.id);
      ctx.audit(actor.userId, 'key-removed', null, 'SSH key removed', { fingerprint: key.fingerprint });
      touchOwnerInstances(actor.userId);
      return ok(key);
    },
  };
}
