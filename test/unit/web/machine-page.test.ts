// The machine page when the cluster cannot be asked for events: the page still shows the machine, says
// why the events are missing, and the API returns the same as data.
import { afterEach, describe, expect, it } from 'vitest';
import { newInstanceRow } from '../../../provisioner/store/instances-repo.ts';
import { Browser, startWeb, type WebUnderTest } from './support.ts';

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('machine page: cluster events', () => {
  it('shows the machine and says why the events could not be read (API server unreachable)', async () => {
    w = await startWeb({});
    const user = w.provisioner.web.signIn({ sub: 'ada', email: 'ada@example.com' });
    if (!user.ok) throw new Error(user.error.message);
    const now = w.clock.now().toISOString();
    w.provisioner.store.instances.insert(
      newInstanceRow({
        id: 'web1-abcde',
        name: 'web1',
        ownerId: user.value.userId,
        ownerEmail: 'ada@example.com',
        image: 'ubuntu-22.04',
        cpu: 2,
        memoryGiB: 8,
        diskGiB: 20,
        loginUser: 'ubuntu',
        createdAt: now,
        leaseEndsAt: now,
      }),
      now,
    );
    const b = new Browser(w.url);
    b.jar.set('__Host-tispace_session', w.provisioner.web.openSession(user.value.userId).token);
    const page = await b.fetch('/machines/web1-abcde');
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('<h2>Cluster events</h2>');
    expect(text).toMatch(/The cluster’s events could not be read \(.*ECONNREFUSED.*\)\./);
    expect(text).toContain('<h2>History</h2>');
    const api = await b.fetch('/api/v1/machines/web1-abcde/events');
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({
      events: [],
      unavailable: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
