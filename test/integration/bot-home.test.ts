// App Home (publish, paging beyond 100 blocks, buttons) and the Notifier's job notices with their buttons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, EXTEND_BY_PREFIX } from '../../bot/constants.ts';
import type { Instance } from '../../provisioner/api.ts';
import { validateView } from '../fakes/slack/block-kit-limits.ts';
import { type BotHarness, startBotHarness } from './support/bot-harness.ts';
import { useNamespace, waitFor } from './support/cluster.ts';
import { publishGoldenImage } from './support/provisioner.ts';

const ns = useNamespace('bot-home');
let h: BotHarness;

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  h = await startBotHarness({ namespace: ns.name });
  h.link('UADA', 'ada@example.com');
  h.link('UADMIN', 'admin@example.com');
});
afterAll(async () => {
  await h?.close();
});

const homeJson = (user: string) => JSON.stringify(h.fake.views.home.get(user)?.blocks ?? []);

async function openHome(user: string): Promise<void> {
  const seq = h.fake.calls.length ? h.fake.calls.at(-1)!.seq : 0;
  const r = await h.event({ type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' });
  expect(r.status).toBe(200);
  await h.fake.waitFor((c) => c.method === 'views.publish' && c.args.user_id === user, 10_000, {
    afterSeq: seq,
  });
}

async function clickHome(user: string, actionId: string, value: string): Promise<void> {
  const seq = h.fake.calls.at(-1)?.seq ?? 0;
  const r = await h.click(user, actionId, value, { home: true });
  expect(r.status).toBe(200);
  await h.fake.waitFor((c) => c.method === 'views.publish' && c.args.user_id === user, 10_000, {
    afterSeq: seq,
  });
}

describe('App Home', () => {
  it('asks an unlinked user to link their account', async () => {
    await openHome('UNEW');
    expect(homeJson('UNEW')).toContain('Link your Google account');
  });

  it('shows usage, a create button and the machines; records the time zone', async () => {
    const created = await h.provisioner.api.create(
      { userId: 'UADA' },
      { name: 'home1', size: 'small', diskGiB: 20 },
    );
    expect(created.ok).toBe(true);
    await openHome('UADA');
    const json = homeJson('UADA');
    expect(json).toContain('*Usage* — machines 1/3');
    expect(json).toContain(ACTIONS.openCreate);
    expect(json).toContain('*home1*');
    expect(h.provisioner.api.whoami({ userId: 'UADA' }).user?.tz).toBe('Europe/Berlin');
  });

  it('buttons act and the Home is refreshed with the outcome', async () => {
    const home1 = h.provisioner.api.get({ userId: 'UADA' }, 'home1');
    if (!home1.ok) throw new Error(home1.error.message);
    const id = home1.value.id;
    const lease = home1.value.leaseEndsAt;
    await clickHome('UADA', `${EXTEND_BY_PREFIX}1d`, id);
    expect(homeJson('UADA')).toContain('Extended *home1* by 1d');
    expect(Date.parse(h.provisioner.store.instances.get(id)!.leaseEndsAt) - Date.parse(lease)).toBe(
      86_400_000,
    );
    await clickHome('UADA', ACTIONS.stop, id);
    expect(homeJson('UADA')).toContain('Stopping *home1*');
    expect(h.provisioner.store.instances.get(id)!.desired).toBe('stopped');
    expect(homeJson('UADA')).toContain(ACTIONS.start);
    // A refusal is shown on the Home too.
    await clickHome('UADA', ACTIONS.stop, id);
    expect(homeJson('UADA')).toContain('home1 is already');
    await clickHome('UADA', ACTIONS.start, id);
    expect(homeJson('UADA')).toContain('Starting *home1*');

    const seq = h.fake.calls.at(-1)?.seq ?? 0;
    await h.click('UADA', ACTIONS.sshInfo, id, { home: true });
    const opened = await h.fake.waitFor('views.open', 10_000, { afterSeq: seq });
    expect(JSON.stringify(opened.args.view)).toContain('home1');

    await clickHome('UADA', 'launch_missiles', id);
    expect(homeJson('UADA')).toContain("I don't know that button");

    const seq2 = h.fake.calls.at(-1)?.seq ?? 0;
    await h.click('UADA', ACTIONS.openCreate, '', { home: true });
    await h.fake.waitFor('views.update', 10_000, { afterSeq: seq2 });
    expect(h.fake.views.stack('UADA').at(-1)?.callback_id).toBe('create_instance');
  });

  it('pages more machines than fit in 100 blocks instead of refusing them', async () => {
    const admin = { userId: 'UADMIN' };
    expect(
      h.provisioner.api.setQuota(admin, 'UADA', { instances: 80, cpu: 80, memoryGiB: 200, diskGiB: 5000 }).ok,
    ).toBe(true);
    for (let n = 0; n < 54; n++) {
      const r = await h.provisioner.api.create(
        { userId: 'UADA' },
        { name: `p${n}`, cpu: 1, memoryGiB: 1, diskGiB: 10 },
      );
      if (!r.ok) throw new Error(r.error.message);
    }
    await openHome('UADA');
    const first = h.fake.views.home.get('UADA')!;
    expect(first.blocks.length).toBeLessThanOrEqual(100);
    expect(validateView({ type: 'home', blocks: first.blocks })).toEqual([]);
    expect(homeJson('UADA')).toContain('Page 1 of 3 · 55 machines');
    await clickHome('UADA', ACTIONS.homeNext, '1');
    expect(homeJson('UADA')).toContain('Page 2 of 3');
    await clickHome('UADA', ACTIONS.homeNext, '2');
    expect(homeJson('UADA')).toContain('Page 3 of 3');
    expect(homeJson('UADA')).toContain('*p53*');
    await clickHome('UADA', ACTIONS.homePrev, '1');
    expect(homeJson('UADA')).toContain('Page 2 of 3');
    // Acting on page 2 keeps the user on page 2.
    const p30 = h.provisioner.api.get({ userId: 'UADA' }, 'p30');
    if (!p30.ok) throw new Error(p30.error.message);
    await clickHome('UADA', ACTIONS.stop, p30.value.id);
    expect(homeJson('UADA')).toContain('Page 2 of 3');
  });
});

describe('notices', () => {
  let instance: Instance;
  beforeAll(async () => {
    const r = await h.provisioner.api.create({ userId: 'UADA' }, { name: 'n1', size: 'small', diskGiB: 20 });
    if (!r.ok) throw new Error(r.error.message);
    instance = r.value;
  });

  it('a lease reminder shows the time in the user’s zone; Extend updates the same message in place', async () => {
    const endsAt = '2030-01-31T14:00:00.000Z';
    const delivered = await h.bot.notifier.notice('UADA', {
      kind: 'lease-reminder',
      instance,
      endsAt,
      final: false,
      buttons: { extendOptions: [86_400_000, 3 * 86_400_000], canStop: true, canDelete: true },
    });
    expect(delivered).toBe(true);
    const [message] = h.fake.messagesIn('DUADA').filter((m) => m.text?.includes('lease of n1'));
    expect(message).toBeDefined();
    const json = JSON.stringify(message!.blocks);
    expect(json).toContain('15:00 CET'); // Europe/Berlin, from users.info
    expect(json).toContain(`${EXTEND_BY_PREFIX}1d`);
    expect(json).toContain(`${EXTEND_BY_PREFIX}3d`);
    expect(json).not.toContain(`${EXTEND_BY_PREFIX}7d`);
    const before = h.provisioner.store.instances.get(instance.id)!.leaseEndsAt;
    await h.click('UADA', `${EXTEND_BY_PREFIX}3d`, instance.id, {
      message: { channel: message!.channel, ts: message!.ts },
    });
    await waitFor(async () => (message!.history.length > 1 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'in-place update',
    });
    expect(message!.text).toContain('Extended *n1* by 3d');
    expect(Date.parse(h.provisioner.store.instances.get(instance.id)!.leaseEndsAt) - Date.parse(before)).toBe(
      3 * 86_400_000,
    );
  });

  it('an idle warning’s "I’m still using it" resets idle detection', async () => {
    h.provisioner.store.instances.update(
      instance.id,
      { idleWarnedAt: new Date().toISOString(), lastActiveAt: '2020-01-01T00:00:00.000Z' },
      new Date().toISOString(),
    );
    await h.bot.notifier.notice('UADA', {
      kind: 'idle-warning',
      instance,
      evidence: 'CPU below 2% for 6h',
      stopAt: '2030-01-01T10:00:00.000Z',
    });
    const message = h.fake.messagesIn('DUADA').find((m) => m.text?.includes('looks idle'))!;
    expect(JSON.stringify(message.blocks)).toContain(ACTIONS.stillUsing);
    await h.click('UADA', ACTIONS.stillUsing, instance.id, {
      message: { channel: message.channel, ts: message.ts },
    });
    await waitFor(async () => (message.history.length > 1 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'in-place update',
    });
    const after = h.provisioner.store.instances.get(instance.id)!;
    expect(after.idleWarnedAt).toBeNull();
    expect(after.lastActiveAt! > '2020-01-01').toBe(true);
  });

  it('renders every other notice kind; a reminder’s Delete asks for confirmation in place', async () => {
    const kinds = [
      { kind: 'lease-expired', instance },
      { kind: 'idle-stopped', instance, evidence: 'no SSH sessions for 8h' },
      { kind: 'retention-reminder', instance, deleteAt: '2030-02-01T00:00:00.000Z', final: true },
      { kind: 'snapshot-taken', instance, restoreUntil: '2030-02-08T00:00:00.000Z' },
    ] as const;
    for (const n of kinds) expect(await h.bot.notifier.notice('UADA', n)).toBe(true);
    const texts = h.fake.messagesIn('DUADA').map((m) => JSON.stringify(m.blocks));
    expect(texts.some((t) => t.includes('/tispace start n1') && t.includes('lease of *n1* ended'))).toBe(
      true,
    );
    expect(texts.some((t) => t.includes('no SSH sessions for 8h'))).toBe(true);
    expect(texts.some((t) => t.includes('Last reminder') && t.includes('will be deleted'))).toBe(true);
    expect(texts.some((t) => t.includes('/tispace restore n1'))).toBe(true);
    const retention = h.fake
      .messagesIn('DUADA')
      .find((m) => JSON.stringify(m.blocks).includes('will be deleted'))!;
    await h.click('UADA', ACTIONS.deleteAsk, instance.id, {
      message: { channel: retention.channel, ts: retention.ts },
    });
    await waitFor(async () => (retention.history.length > 1 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'confirm in place',
    });
    expect(JSON.stringify(retention.blocks)).toContain(ACTIONS.deleteConfirm);
    await h.click('UADA', ACTIONS.deleteCancel, instance.id, {
      message: { channel: retention.channel, ts: retention.ts },
    });
    await waitFor(async () => (retention.history.length > 2 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'cancel in place',
    });
    expect(retention.text).toContain('Kept *n1*');
  });

  it('offboarded notices go to the admins; delivery to an unknown user returns false', async () => {
    expect(
      await h.bot.notifier.notice('UBOB', {
        kind: 'offboarded',
        userId: 'UBOB',
        stopped: [instance],
        reason: 'suspended in Google',
      }),
    ).toBe(true);
    expect(
      h.fake
        .messagesIn('DUADMIN')
        .some((m) => m.text?.includes('<@UBOB> was offboarded (suspended in Google)')),
    ).toBe(true);
    expect(await h.bot.notifier.notice('UGHOST', { kind: 'lease-expired', instance })).toBe(false);
    expect(h.logs.join('')).toContain('user_not_found');
  });
});
