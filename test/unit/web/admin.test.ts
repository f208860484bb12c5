// Admin pages without a cluster: quota overrides and deactivation, refused to non-admins.
import { afterEach, describe, expect, it } from 'vitest';
import { newInstanceRow } from '../../../provisioner/store/instances-repo.ts';
import { Browser, startWeb, type WebUnderTest } from './support.ts';

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function signedIn(web: WebUnderTest, email: string): { browser: Browser; userId: string } {
  const user = web.provisioner.web.signIn({ sub: `sub-${email}`, email });
  if (!user.ok) throw new Error(user.error.message);
  const browser = new Browser(web.url);
  browser.jar.set('__Host-tispace_session', web.provisioner.web.openSession(user.value.userId).token);
  return { browser, userId: user.value.userId };
}

describe('admin: users', () => {
  it('an admin overrides a quota and deactivates a user, whose sessions end; others get 404', async () => {
    w = await startWeb({});
    const boss = signedIn(w, 'boss@corp.com');
    const ada = signedIn(w, 'ada@example.com');
    const page = await boss.browser.fetch('/admin');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('ada@example.com');
    const csrf = await boss.browser.csrf('/admin');

    const refused = await ada.browser.post(`/admin/users/${boss.userId}/deactivate`, {
      _csrf: await ada.browser.csrf('/usage'),
    });
    expect(refused.status).toBe(404);
    expect((await ada.browser.fetch('/admin')).status).toBe(404);
    expect(w.provisioner.store.users.get(boss.userId)!.deactivatedAt).toBeNull();

    const quota = await boss.browser.post(`/admin/users/${ada.userId}/quota`, {
      _csrf: csrf,
      instances: '5',
      cpu: '32',
      memoryGiB: '128',
      diskGiB: '900',
    });
    expect(quota.status).toBe(303);
    expect(w.provisioner.api.usage({ userId: ada.userId })).toMatchObject({
      ok: true,
      value: { quota: { instances: 5, cpu: 32, memoryGiB: 128, diskGiB: 900 } },
    });
    const bad = await boss.browser.post(`/admin/users/${ada.userId}/quota`, { _csrf: csrf, cpu: '-1' });
    expect(decodeURIComponent(bad.headers.get('location') ?? '')).toContain(
      'cpu must be a whole number from 0 to 10000',
    );

    expect((await ada.browser.fetch('/usage')).status).toBe(200);
    await boss.browser.post(`/admin/users/${ada.userId}/deactivate`, { _csrf: csrf });
    expect(w.provisioner.store.users.get(ada.userId)!.deactivatedAt).not.toBeNull();
    expect((await ada.browser.fetch('/usage')).headers.get('location')).toBe('/sign-in');
    const again = w.provisioner.web.signIn({ sub: 'sub-ada@example.com', email: 'ada@example.com' });
    expect(again).toMatchObject({ ok: false, error: { code: 'Deactivated' } });

    await boss.browser.post(`/admin/users/${ada.userId}/reactivate`, { _csrf: csrf });
    expect(w.provisioner.web.signIn({ sub: 'sub-ada@example.com', email: 'ada@example.com' }).ok).toBe(true);
    const audit = w.provisioner.store.audit.all().map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['set-quota', 'user-reactivated']));
  });
});

describe('admin: all machines', () => {
  it('shows a page at a time, filters by owner, and keeps the filter when paging', async () => {
    w = await startWeb({});
    const boss = signedIn(w, 'boss@corp.com');
    const now = w.clock.now().toISOString();
    // 230 live machines of two owners, and one deleted (never listed).
    for (let i = 0; i < 231; i++) {
      const owner = i % 2 ? 'ada@example.com' : 'bob@example.com';
      w.provisioner.store.instances.insert(
        newInstanceRow({
          id: `m${String(i).padStart(3, '0')}-x${i}`,
          name: `m${i}`,
          ownerId: `U${owner}`,
          ownerEmail: owner,
          image: 'ubuntu-22.04',
          cpu: 1,
          memoryGiB: 2,
          diskGiB: 20,
          loginUser: 'ubuntu',
          phase: i === 230 ? 'deleted' : 'running',
          leaseEndsAt: now,
          createdAt: now,
        }),
        now,
      );
    }
    const rows = (text: string) => text.match(/<tr><td><a href="\/machines\//g)?.length ?? 0;
    const first = await (await boss.browser.fetch('/admin')).text();
    expect(first).toContain('(230 of 230)');
    expect(rows(first)).toBe(100);
    expect(first).toContain('1–100 of 230');
    expect(first).toContain('Page 1 of 3');
    const last = await (await boss.browser.fetch('/admin?mpage=3')).text();
    expect(rows(last)).toBe(30);
    expect(last).toContain('201–230 of 230');
    // Out of range clamps to the last page; nonsense is the first.
    expect(await (await boss.browser.fetch('/admin?mpage=999')).text()).toContain('201–230 of 230');
    expect(await (await boss.browser.fetch('/admin?mpage=abc')).text()).toContain('1–100 of 230');

    const ada = await (await boss.browser.fetch('/admin?owner=ADA%40example')).text();
    expect(ada).toContain('(115 of 230)');
    expect(ada).not.toContain('bob@example.com</td>');
    const next = /href="([^"]*mpage=2[^"]*)"/.exec(ada)![1]!.replaceAll('&amp;', '&');
    expect(next).toContain('owner=ADA%40example');
    const second = await (await boss.browser.fetch(next)).text();
    expect(rows(second)).toBe(15);
    expect(second).toContain('101–115 of 115');
  });
});
