// The web front end in a real browser (Debian's chromium driven by playwright-core) against TiSpace as
// `npm start` serves it (web + Slack receiver on one HTTP server), the fake Google issuer and the real
// control plane. Screenshots of the main pages are saved to .cache/screenshots/.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giveTestKey } from '../support/keys.ts';
import { repoRoot, useNamespace } from './support/cluster.ts';
import { ADMIN, startWebServer, type WebServer } from './support/web-server.ts';

const SHOTS = path.join(repoRoot, '.cache/screenshots');
const ns = useNamespace('web-ui');
let server: WebServer;
let browser: Browser;
let ada: Page;

const LIVE_MS = 60_000;

async function signIn(context: BrowserContext, login: { sub: string; email: string }): Promise<Page> {
  server.google.setNextLogin({ ...login, hd: 'example.com' });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
  await page.getByRole('link', { name: 'Sign in with Google' }).click();
  await page.waitForURL(`${server.origin}/`);
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const card = (page: Page, name: string) =>
  page.locator('article.machine', { has: page.getByRole('heading', { name, exact: true }) });

/** Resolves with the REST call the page's script makes (the UI's actions go through /api/v1). */
const apiCall = (page: Page, method: string, path: RegExp) =>
  page.waitForRequest((r) => r.method() === method && path.test(new URL(r.url()).pathname));

describe('the web UI in a browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startWebServer(ns.name);
    // Ada already uses TiSpace from Slack: her Google account maps to the same user.
    server.provisioner.api.linkIdentity(
      { userId: 'UADA', teamId: 'TWEB' },
      { googleSub: 'g-ada', email: 'ada@example.com' },
    );
    // …and has the SSH key she added there (creating needs one).
    giveTestKey(server.provisioner.api, { userId: 'UADA', teamId: 'TWEB' });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with Google as the Slack user of the same verified email', async () => {
    const signInPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signInPage.goto(`${server.origin}/sign-in`);
    await shot(signInPage, 'sign-in');
    ada = await signIn(await browser.newContext({ viewport: { width: 1280, height: 900 } }), {
      sub: 'g-ada',
      email: 'ada@example.com',
    });
    await expect.poll(() => ada.getByText('ada@example.com').count()).toBe(1);
    await expect.poll(() => ada.getByRole('heading', { name: 'My machines' }).count()).toBe(1);
    await shot(ada, 'machines-empty');
  });

  it('shows a create error on the field it is about, and creates nothing', async () => {
    await ada.goto(`${server.origin}/machines/new`);
    await ada.getByLabel('Name', { exact: true }).fill('Web_1');
    await ada.getByLabel('Size', { exact: true }).selectOption('custom');
    await ada.getByRole('button', { name: 'Create machine' }).click();
    // The Slack modal's reader: custom size without CPUs → the CPU field.
    const cpuField = ada.locator('[data-field="cpu"]');
    await expect
      .poll(() => cpuField.locator('.error').textContent())
      .toContain('With size "Custom", enter the number of CPUs');
    expect(await ada.getByLabel('CPUs (custom size)').getAttribute('aria-invalid')).toBe('true');
    await ada.getByLabel('CPUs (custom size)').fill('2');
    await ada.getByLabel('Memory in GiB (custom size)').fill('4');
    await ada.getByRole('button', { name: 'Create machine' }).click();
    // Now the provisioner's own check: the name.
    const nameError = ada.locator('[data-field="name"] .error');
    await expect.poll(() => nameError.textContent()).toMatch(/name/i);
    expect(await ada.locator('[data-field="cpu"] .error').count()).toBe(0);
    expect(await ada.getByLabel('Name', { exact: true }).inputValue()).toBe('Web_1');
    await shot(ada, 'create-error');
    expect(server.provisioner.store.instances.listByOwner('UADA')).toEqual([]);
  });

  it('creates a machine and shows it Ready without a reload', async () => {
    await ada.getByLabel('Name', { exact: true }).fill('web1');
    await ada.getByLabel('Size', { exact: true }).selectOption('small');
    await ada.getByLabel('CPUs (custom size)').fill('');
    await ada.getByLabel('Memory in GiB (custom size)').fill('');
    await ada.getByRole('button', { name: 'Create machine' }).click();
    await expect
      .poll(() => ada.getByRole('status').first().textContent())
      .toBe('web1 is being created; it shows Ready here when it is.');
    // The outcome is shown once: the address no longer carries it (a reload would not repeat it).
    expect(new URL(ada.url()).search).toBe('');
    // Marks this document: a reload would lose the mark.
    await ada.evaluate('window.notReloaded = true');
    const web1 = card(ada, 'web1');
    expect(await web1.count()).toBe(1);
    await expect.poll(() => web1.getByTestId('state').textContent(), { timeout: LIVE_MS }).toBe('Ready');
    expect(await ada.evaluate('window.notReloaded === true')).toBe(true);
    await expect
      .poll(() => web1.locator('.ssh code').textContent())
      .toMatch(new RegExp(`^ssh -J tispace@localhost ubuntu@web1-[a-z0-9]{5}-ssh\\.${ns.name}$`));
    expect(await web1.textContent()).toContain('2 CPU · 8 GiB · 20 GiB disk');
    await shot(ada, 'machines');
  });

  it('stops after confirmation, then starts again, live, through the REST API', async () => {
    const web1 = card(ada, 'web1');
    await web1.getByRole('link', { name: 'Stop' }).click();
    await expect.poll(() => ada.getByRole('heading', { name: 'Stop web1?' }).count()).toBe(1);
    const stop = apiCall(ada, 'POST', /^\/api\/v1\/machines\/[^/]+\/stop$/);
    await ada.getByRole('button', { name: 'Yes, stop web1' }).click();
    expect((await (await stop).response())?.status()).toBe(200);
    await expect
      .poll(() => ada.getByRole('status').first().textContent())
      .toBe('web1 is stopping; its disk is kept.');
    await expect
      .poll(() => card(ada, 'web1').getByTestId('state').textContent(), { timeout: LIVE_MS })
      .toBe('Stopped');
    await ada.evaluate('window.notReloaded = true');
    const start = apiCall(ada, 'POST', /^\/api\/v1\/machines\/[^/]+\/start$/);
    await card(ada, 'web1').getByRole('button', { name: 'Start' }).click();
    expect((await (await start).response())?.status()).toBe(200);
    await expect.poll(() => ada.getByRole('status').first().textContent()).toBe('web1 is starting.');
    await expect
      .poll(() => card(ada, 'web1').getByTestId('state').textContent(), { timeout: LIVE_MS })
      .toBe('Ready');
    expect(await ada.evaluate('window.notReloaded === true')).toBe(true);
  });

  it('extends the lease (REST API, the card’s countdown follows)', async () => {
    const before = server.provisioner.store.instances.findByName('UADA', 'web1')!.leaseEndsAt;
    const extend = apiCall(ada, 'POST', /^\/api\/v1\/machines\/[^/]+\/extend$/);
    await card(ada, 'web1').getByRole('button', { name: 'Extend lease' }).click();
    await extend;
    await expect
      .poll(() => ada.getByRole('status').first().textContent())
      .toMatch(/^The lease of web1 was extended\. It now ends \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    const after = server.provisioner.store.instances.findByName('UADA', 'web1')!.leaseEndsAt;
    expect(Date.parse(after) - Date.parse(before)).toBeGreaterThanOrEqual(7 * 86_400_000 - 60_000);
    expect(await card(ada, 'web1').locator('[data-lease-ends]').getAttribute('data-lease-ends')).toBe(after);
    await shot(ada, 'machines-extended');
    await ada.getByRole('link', { name: 'web1' }).click();
    await expect
      .poll(() => ada.locator('.timeline').textContent())
      .toContain('extend — lease extended by 1w');
    // The cluster's own events of the machine's Pod (the scheduler placed it; RBAC lets TiSpace read them).
    const events = ada.getByTestId('events');
    await expect.poll(() => events.textContent()).toContain('Scheduled');
    expect(await events.textContent()).toContain('Machine (Pod)');
    await shot(ada, 'machine-detail');
  });

  it('works without JavaScript: the same actions as plain forms', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    const plain = await signIn(context, { sub: 'g-ada', email: 'ada@example.com' });
    const before = server.provisioner.store.instances.findByName('UADA', 'web1')!.leaseEndsAt;
    await card(plain, 'web1').getByRole('button', { name: 'Extend lease' }).click();
    await plain.waitForURL(/\/\?done=/);
    expect(await plain.getByRole('status').first().textContent()).toContain(
      'The lease of web1 was extended by 1w',
    );
    const after = server.provisioner.store.instances.findByName('UADA', 'web1')!.leaseEndsAt;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    await card(plain, 'web1').getByRole('link', { name: 'Stop' }).click();
    await expect.poll(() => plain.getByRole('heading', { name: 'Stop web1?' }).count()).toBe(1);
    await plain.getByRole('link', { name: 'Cancel' }).click();
    expect(server.provisioner.store.instances.findByName('UADA', 'web1')!.desired).toBe('running');
    await context.close();
  });

  it('deletes after confirmation and restores from the snapshot', async () => {
    await ada.goto(`${server.origin}/`);
    await card(ada, 'web1').getByRole('link', { name: 'Delete' }).click();
    await expect.poll(() => ada.getByRole('heading', { name: 'Delete web1?' }).count()).toBe(1);
    await shot(ada, 'confirm-delete');
    const del = apiCall(ada, 'DELETE', /^\/api\/v1\/machines\/[^/]+$/);
    await ada.getByRole('button', { name: 'Yes, delete web1' }).click();
    expect((await (await del).response())?.status()).toBe(200);
    await expect
      .poll(() => ada.getByRole('status').first().textContent())
      .toBe('web1 is being deleted; a snapshot is taken first.');
    // The card goes away live once the disk is snapshotted and deleted.
    await expect.poll(() => card(ada, 'web1').count(), { timeout: LIVE_MS }).toBe(0);
    await ada.reload();
    await shot(ada, 'machines-restorable');
    const restore = apiCall(ada, 'POST', /^\/api\/v1\/machines\/restore$/);
    await ada.getByRole('button', { name: 'Restore web1' }).click();
    expect((await (await restore).response())?.status()).toBe(200);
    await expect
      .poll(() => ada.getByRole('status').first().textContent())
      .toBe('web1 is being restored from its snapshot.');
    expect(await ada.getByRole('button', { name: 'Restore web1' }).count()).toBe(0);
    // The restored machine's card arrives over the live stream, without a reload.
    await expect
      .poll(() => card(ada, 'web1').getByTestId('state').textContent(), { timeout: LIVE_MS })
      .toBe('Ready');
  });

  it('account pages: keys, usage, tokens', async () => {
    await ada.goto(`${server.origin}/keys`);
    await ada
      .getByLabel('Public key')
      .fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop');
    await ada.getByRole('button', { name: 'Add key' }).click();
    await expect.poll(() => ada.locator('table.data').textContent()).toContain('ada@laptop');
    await shot(ada, 'keys');
    await ada.goto(`${server.origin}/usage`);
    await expect.poll(() => ada.locator('.meter').first().textContent()).toContain('1');
    await shot(ada, 'usage');
    await ada.goto(`${server.origin}/tokens`);
    await ada.getByLabel('Name', { exact: true }).fill('ci-script');
    await ada.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => ada.getByTestId('new-token').textContent()).toMatch(/^tsp_[\w-]{43}$/);
    await shot(ada, 'tokens');
  });

  it('an admin sees everyone’s machines, capacity per node, users, and the audit entries of those actions', async () => {
    // Bob uses only the web.
    const bob = await signIn(await browser.newContext(), { sub: 'g-bob', email: 'bob@example.com' });
    const bobId = server.provisioner.store.users.findByEmail('bob@example.com')!.userId;
    const admin = await signIn(await browser.newContext({ viewport: { width: 1280, height: 900 } }), {
      sub: 'g-boss',
      email: ADMIN,
    });
    await admin.goto(`${server.origin}/admin`);
    await shot(admin, 'admin');

    // Capacity per node, and everyone's machines (Ada's, with her email).
    const capacity = admin.locator('table.data').first();
    expect(await capacity.textContent()).toMatch(/dev-1/);
    const machines = admin.locator('table.data').nth(1);
    await expect.poll(() => machines.textContent()).toContain('web1');
    expect(await machines.textContent()).toContain('ada@example.com');
    await admin.getByLabel('Owner').fill('bob@');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => admin.locator('#machines').textContent()).toContain('(0 of 1)');
    await admin.goto(`${server.origin}/admin`);

    // Users: a quota override, then deactivate (Bob's session ends) and reactivate.
    const bobRow = admin.getByTestId('users').locator('tr', { hasText: 'bob@example.com' });
    await bobRow.getByLabel('instances').fill('5');
    await bobRow.getByLabel('cpu').fill('24');
    // The admin page says what was done (after its redirect back).
    const said = (text: string) =>
      expect.poll(() => admin.getByRole('status').first().textContent()).toContain(text);
    await bobRow.getByRole('button', { name: 'Set quota of bob@example.com' }).click();
    await said(`Quota of ${bobId} set.`);
    expect(server.provisioner.store.quotas.get(bobId)).toMatchObject({ instances: 5, cpu: 24 });
    await bobRow.getByRole('button', { name: 'Deactivate bob@example.com' }).click();
    await said('bob@example.com deactivated.');
    expect(await bobRow.textContent()).toMatch(/deactivated \d{4}-/);
    await admin.getByTestId('users').screenshot({ path: path.join(SHOTS, 'admin-users.png') });
    await bob.reload();
    expect(new URL(bob.url()).pathname).toBe('/sign-in');
    await bobRow.getByRole('button', { name: 'Reactivate bob@example.com' }).click();
    await said('bob@example.com reactivated.');
    expect(server.provisioner.store.users.get(bobId)!.deactivatedAt).toBeNull();

    // The audit log: Ada's actions, searchable by action, by user and by machine.
    const audit = admin.getByTestId('audit');
    const text = await audit.textContent();
    for (const action of ['create', 'stop', 'start', 'extend', 'delete', 'restore', 'set-quota'])
      expect(text).toContain(action);
    const rows = () => audit.locator('tbody tr');
    await admin.getByLabel('Action').fill('restore');
    await admin.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows().count()).toBe(1);
    await admin.getByLabel('Action').fill('');
    await admin.getByLabel('User id').fill('UADA');
    await admin.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows().count()).toBeGreaterThanOrEqual(6);
    for (const who of await rows().locator('td:nth-child(2)').allTextContents()) expect(who).toBe('UADA');
    const id = server.provisioner.store.instances.findByName('UADA', 'web1')!.id;
    await admin.getByLabel('User id').fill('');
    await admin.getByLabel('Machine id').fill(id);
    await admin.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(async () => (await rows().locator('td:nth-child(4)').allTextContents()).every((m) => m === id))
      .toBe(true);
    expect(await rows().count()).toBeGreaterThanOrEqual(1);
    await audit.scrollIntoViewIfNeeded();
    await shot(admin, 'admin-audit-search');
  });

  it('another user gets 404 for Ada’s machine, by URL or by form, and nothing changes', async () => {
    const bob = await signIn(await browser.newContext(), { sub: 'g-bob', email: 'bob@example.com' });
    const id = server.provisioner.store.instances.findByName('UADA', 'web1')!.id;
    const view = await bob.goto(`${server.origin}/machines/${id}`);
    expect(view?.status()).toBe(404);
    const confirm = await bob.goto(`${server.origin}/machines/${id}/delete`);
    expect(confirm?.status()).toBe(404);
    const csrf = await bob.locator('input[name="_csrf"]').first().getAttribute('value');
    const status = await bob.evaluate(
      async ({ url, csrf }) =>
        (
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `_csrf=${csrf}&confirm=yes`,
          })
        ).status,
      { url: `${server.origin}/machines/${id}/delete`, csrf: csrf! },
    );
    expect(status).toBe(404);
    // And through the API, with a token that may write machines.
    const bobId = server.provisioner.store.users.findByEmail('bob@example.com')!.userId;
    const token = server.provisioner.web.createToken(bobId, {
      name: 'bob',
      scopes: ['machines:read', 'machines:write'],
      days: 1,
    });
    if (!token.ok) throw new Error(token.error.message);
    const headers = { authorization: `Bearer ${token.value.token}` };
    const get = await fetch(`${server.origin}/api/v1/machines/${id}`, { headers });
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect(
      (await fetch(`${server.origin}/api/v1/machines/${id}`, { method: 'DELETE', headers })).status,
    ).toBe(404);
    expect((await fetch(`${server.origin}/api/v1/machines/${id}/events`, { headers })).status).toBe(404);
    expect(
      (await fetch(`${server.origin}/api/v1/machines/${id}/stop`, { method: 'POST', headers })).status,
    ).toBe(404);
    const after = server.provisioner.store.instances.get(id)!;
    expect(after.desired).toBe('running');
    expect(after.phase).toBe('running');
  });

  it('a machine deleted while the page had no live stream leaves the page when the stream comes back', async () => {
    // The page is rendered with web1's card while its stream cannot connect (the browser retries every 3 s).
    await ada.route('**/api/v1/events', (route) => route.abort());
    await ada.goto(`${server.origin}/`);
    expect(await card(ada, 'web1').count()).toBe(1);
    const actor = { userId: 'UADA', teamId: 'TWEB' };
    expect(server.provisioner.api.delete(actor, 'web1').ok).toBe(true);
    await expect
      .poll(
        () =>
          server.provisioner.store.instances
            .listByOwner('UADA', { includeDeleted: true })
            .find((i) => i.name === 'web1')?.phase,
        {
          timeout: LIVE_MS,
        },
      )
      .toBe('deleted');
    expect(await card(ada, 'web1').count()).toBe(1); // nothing told the page yet
    // The stream connects again: the current state says web1 is gone, and its card goes without a reload.
    await ada.unroute('**/api/v1/events');
    await expect.poll(() => card(ada, 'web1').count(), { timeout: LIVE_MS }).toBe(0);
  });
});
