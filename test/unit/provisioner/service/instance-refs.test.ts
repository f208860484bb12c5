// Names vs ids: buttons and admin commands name a machine by its id, and nothing a user can name a machine
// may be mistaken for another machine's id.
import { afterEach, describe, expect, it } from 'vitest';
import { newInstanceId, validateName } from '../../../../provisioner/domain/names.ts';
import { insertInstance, type JobsWorld, jobsWorld } from '../jobs/support.ts';

let w: JobsWorld | undefined;
afterEach(() => {
  w?.close();
  w = undefined;
});

describe('instance references', () => {
  it('an explicit id reaches that machine, even when the actor owns a machine whose name equals it', () => {
    w = jobsWorld({ config: { admins: ['admin@corp.com'] } });
    const store = w.provisioner.store;
    const victim = insertInstance(store, w.clock, { name: 'db', ownerId: 'U1' });
    // A machine of the admin's whose name is the victim's id (possible before names were checked).
    const own = insertInstance(store, w.clock, { name: victim.id, id: `${victim.id}-zzzzz`, ownerId: 'UA' });
    const admin = { userId: 'UA', teamId: 'T1' };
    const stopped = w.provisioner.api.stop(admin, { id: victim.id }, 'stopped by admin UA');
    expect(stopped.ok && stopped.value.id).toBe(victim.id);
    expect(store.instances.get(own.id)?.desired).toBe('running');
    // Others cannot reach a machine by id, and are told so without a list of names.
    const refused = w.provisioner.api.delete({ userId: 'U1', teamId: 'T1' }, { id: own.id });
    expect(!refused.ok && refused.error.message).toBe(`no instance with id "${own.id}" that you may act on`);
    expect(store.instances.get(own.id)?.desired).toBe('running');
  });

  it('a name may not take the shape of an instance id', () => {
    const id = newInstanceId('web1');
    expect(validateName(id)).toBe(
      `"${id}" looks like an instance id (a name, "-" and 5 of bcdfghjklmnpqrstvwxz2456789); choose a name that does not end like one`,
    );
    for (const name of ['web1', 'build-box', 'api-server', 'ci-2024', 'x-bcdf'])
      expect(validateName(name)).toBeUndefined();
  });
});
