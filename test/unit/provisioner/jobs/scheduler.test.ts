import { afterEach, describe, expect, it } from 'vitest';
import type { JobNotice } from '../../../../provisioner/notifier.ts';
import { D, H } from '../../../support/durations.ts';
import { insertInstance, type JobsWorld, jobsWorld } from './support.ts';

const owner = { userId: 'U1', teamId: 'T1' };
const admin = { userId: 'UA', teamId: 'T1' };

let w: JobsWorld;
afterEach(() => w?.close());

const of = <K extends JobNotice['kind']>(notices: { notice: JobNotice }[], kind: K) =>
  notices.map((n) => n.notice).filter((n): n is Extract<JobNotice, { kind: K }> => n.kind === kind);

describe('lease reminders (store, claims, service)', () => {
  it('sends each reminder exactly once, also across runs, runners and restarts', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 2 * D).toISOString(),
    });
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices).toEqual([]);

    w.clock.advance(D); // 24 h before the end, 09:00 UTC
    const run = await w.jobs.runOnce('reminders');
    expect(run.acted.map((a) => a.action)).toEqual(['remind-lease']);
    await w.jobs.runOnce('reminders');
    const restarted = w.another();
    await restarted.jobs.runOnce('reminders');
    const reminders = of(w.notifier.notices, 'lease-reminder');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({
      instance: { id: i.id },
      endsAt: i.leaseEndsAt,
      final: false,
      buttons: { extendOptions: [D, 3 * D, 7 * D], canStop: true, canDelete: true },
    });
    expect(w.notifier.notices[0]?.userId).toBe('U1');

    w.clock.advance(23 * H); // 1 h before: the final one
    await Promise.all([w.jobs.runOnce('reminders'), restarted.jobs.runOnce('reminders')]);
    expect(of(w.notifier.notices, 'lease-reminder').map((n) => n.final)).toEqual([false, true]);
  });

  it('re-arms the reminders when the owner extends with an offered option', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 2 * H).toISOString(),
      createdAt: new Date(w.clock.now().getTime() - 5 * D).toISOString(),
    });
    w.clock.advance(H);
    await w.jobs.runOnce('reminders');
    const [reminder] = of(w.notifier.notices, 'lease-reminder');
    expect(reminder?.final).toBe(true);
    // The bot calls the service with the button's value.
    const extended = w.provisioner.api.extend(owner, i.name, reminder!.buttons.extendOptions[0]!);
    expect(extended.ok && extended.value.leaseEndsAt).toBe(
      new Date(Date.parse(i.leaseEndsAt) + D).toISOString(),
    );
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices).toHaveLength(1);
    w.clock.advance(H); // 24 h before the new end
    await w.jobs.runOnce('reminders');
    expect(of(w.notifier.notices, 'lease-reminder').map((n) => [n.final, n.endsAt])).toEqual([
      [true, i.leaseEndsAt],
      [false, new Date(Date.parse(i.leaseEndsAt) + D).toISOString()],
    ]);
  });

  it('offers exactly the extensions service.extend accepts; past the maximum is refused', async () => {
    w = jobsWorld({ config: { policy: { maxLease: '3d', defaultLease: '1d' } } });
    const end = new Date(w.clock.now().getTime() + 25 * H).toISOString();
    const names = ['a', 'b', 'c'];
    for (const name of names) insertInstance(w.provisioner.store, w.clock, { name, leaseEndsAt: end });
    w.clock.advance(H); // 24 h before the end; the maximum is now + 3 d
    await w.jobs.runOnce('reminders');
    const offered = of(w.notifier.notices, 'lease-reminder').map((r) => r.buttons.extendOptions);
    expect(offered).toEqual([[D], [D], [D]]);
    const results = [D, 3 * D, 7 * D].map((ms, n) => w.provisioner.api.extend(owner, names[n]!, ms));
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(!results[1]!.ok && results[1]!.error.message).toMatch(/a lease can reach at most 3d from now/);
  });

  it('holds reminders in the owner’s quiet hours (Los Angeles vs Tokyo), then sends the latest due one', async () => {
    w = jobsWorld({ start: '2026-01-05T06:00:00Z' }); // 22:00 in Los Angeles, 15:00 in Tokyo
    w.provisioner.store.users.setTimeZone('U1', 'America/Los_Angeles');
    w.provisioner.api.setTimeZone('UA', 'Asia/Tokyo');
    const end = new Date(w.clock.now().getTime() + D).toISOString();
    const la = insertInstance(w.provisioner.store, w.clock, { name: 'la', leaseEndsAt: end });
    const tokyo = insertInstance(w.provisioner.store, w.clock, {
      name: 'tokyo',
      ownerId: 'UA',
      leaseEndsAt: end,
    });
    w.clock.advance(1000);
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices.map((n) => n.notice.kind === 'lease-reminder' && n.notice.instance.id)).toEqual(
      [tokyo.id],
    );
    w.clock.set('2026-01-05T15:59:00Z');
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices).toHaveLength(1);
    w.clock.set('2026-01-05T16:00:00Z'); // 08:00 in Los Angeles
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices.map((n) => n.notice.kind === 'lease-reminder' && n.notice.instance.id)).toEqual(
      [tokyo.id, la.id],
    );
  });

  it('gives a claim back when delivery fails, so the next run sends it', async () => {
    w = jobsWorld();
    insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + H).toISOString(),
    });
    w.clock.advance(1);
    w.notifier.failNext = 1;
    const failed = await w.jobs.runOnce('reminders');
    expect(failed.failed).toHaveLength(1);
    expect(w.notifier.notices).toHaveLength(0);
    await w.jobs.runOnce('reminders');
    await w.jobs.runOnce('reminders');
    expect(w.notifier.notices).toHaveLength(1);
  });
});

describe('lease expiry', () => {
  it('stops an expired instance as actor "system" and tells the owner once', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + H).toISOString(),
    });
    await w.jobs.runOnce('expiry');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('running');
    w.clock.advance(H);
    const b = w.another();
    const [one, two] = await Promise.all([w.jobs.runOnce('expiry'), b.jobs.runOnce('expiry')]);
    expect([...one.acted, ...two.acted].map((a) => a.action)).toEqual(['stop-expired']);
    await w.jobs.runOnce('expiry');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    expect(of(w.notifier.notices, 'lease-expired')).toHaveLength(1);
    const stops = w.provisioner.store.audit.forInstance(i.id).filter((e) => e.action === 'stop');
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({
      actor: 'system',
      reason: expect.stringMatching(/^lease expired: lease ended/),
    });
  });

  it('still owes the notice if it could not be delivered with the stop', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, { leaseEndsAt: w.clock.now().toISOString() });
    w.notifier.failNext = 1;
    const run = await w.jobs.runOnce('expiry');
    expect(run.acted.map((a) => a.action)).toEqual(['stop-expired']);
    expect(w.notifier.notices).toHaveLength(0);
    expect((await w.jobs.dryRun()).map((a) => a.action)).toEqual(['notify-expired']);
    const retry = await w.jobs.runOnce('expiry');
    expect(retry.acted.map((a) => a.action)).toEqual(['notify-expired']);
    await w.jobs.runOnce('expiry');
    expect(of(w.notifier.notices, 'lease-expired').map((n) => n.instance.id)).toEqual([i.id]);
  });

  it('stops again, and says so again, when started without extending the lease', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, { leaseEndsAt: w.clock.now().toISOString() });
    await w.jobs.runOnce('expiry');
    // The owner starts it again (the bot's start), lease still over.
    w.provisioner.store.instances.update(i.id, { desired: 'running' }, w.clock.now().toISOString());
    w.clock.advance(60_000);
    await w.jobs.runOnce('expiry');
    await w.jobs.runOnce('expiry');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    expect(of(w.notifier.notices, 'lease-expired')).toHaveLength(2);
  });

  it('does not stop an instance whose lease was extended in time', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + H).toISOString(),
    });
    expect(w.provisioner.api.extend(owner, i.name, '1d').ok).toBe(true);
    w.clock.advance(2 * H);
    await w.jobs.runOnce('expiry');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('running');
  });
});

describe('idle stop', () => {
  it('warns after idleThreshold with the evidence, stops after idleGrace if still idle', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 20 * D).toISOString(),
    });
    w.activity.cpu(i.id, 0.4);
    w.clock.advance(6 * H - 1);
    await w.jobs.runOnce('idle');
    expect(w.notifier.notices).toEqual([]);
    w.clock.advance(1);
    await Promise.all([w.jobs.runOnce('idle'), w.another().jobs.runOnce('idle')]);
    await w.jobs.runOnce('idle');
    const warnings = of(w.notifier.notices, 'idle-warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      evidence: 'CPU under 2 % for 6 h',
      stopAt: new Date(w.clock.now().getTime() + 2 * H).toISOString(),
    });
    w.clock.advance(2 * H - 1);
    await w.jobs.runOnce('idle');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('running');
    w.clock.advance(1);
    const run = await w.jobs.runOnce('idle');
    expect(run.acted.map((a) => a.action)).toEqual(['stop-idle']);
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    expect(of(w.notifier.notices, 'idle-stopped')).toMatchObject([{ evidence: 'CPU under 2 % for 8 h' }]);
    expect(w.provisioner.store.audit.forInstance(i.id).at(-1)).toMatchObject({
      actor: 'system',
      action: 'stop',
      reason: 'idle: CPU under 2 % for 8 h',
    });
  });

  it('"I’m still using it" (markActive) and real activity cancel the warning', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 20 * D).toISOString(),
    });
    w.activity.cpu(i.id, 0);
    w.clock.advance(6 * H);
    await w.jobs.runOnce('idle');
    expect(w.provisioner.store.instances.get(i.id)?.idleWarnedAt).not.toBeNull();
    w.clock.advance(H);
    expect(w.provisioner.api.markActive(owner, i.name).ok).toBe(true);
    w.clock.advance(2 * H);
    await w.jobs.runOnce('idle');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('running');
    expect(of(w.notifier.notices, 'idle-warning')).toHaveLength(1);
    w.clock.advance(4 * H); // 6 h since "still using it"
    await w.jobs.runOnce('idle');
    expect(of(w.notifier.notices, 'idle-warning')).toHaveLength(2);
    w.activity.cpu(i.id, 50);
    w.clock.advance(2 * H);
    await w.jobs.runOnce('idle');
    const after = w.provisioner.store.instances.get(i.id)!;
    expect(after).toMatchObject({
      desired: 'running',
      idleWarnedAt: null,
      lastActiveAt: w.clock.now().toISOString(),
    });
  });

  it('never treats unavailable metrics as idle, however long', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 20 * D).toISOString(),
    });
    for (let n = 0; n < 30; n++) {
      w.clock.advance(4 * H);
      await w.jobs.runOnce('idle');
    }
    expect(w.notifier.notices).toEqual([]);
    expect(w.provisioner.store.instances.get(i.id)).toMatchObject({
      desired: 'running',
      lastActiveAt: w.clock.now().toISOString(),
    });
    // Metrics come back: idleness counts from then, not from before the gap.
    w.activity.cpu(i.id, 0);
    w.clock.advance(5 * H);
    await w.jobs.runOnce('idle');
    expect(w.notifier.notices).toEqual([]);
    w.clock.advance(H);
    await w.jobs.runOnce('idle');
    expect(of(w.notifier.notices, 'idle-warning')).toHaveLength(1);
  });

  it('retries an undelivered warning and does not stop without one', async () => {
    w = jobsWorld();
    const i = insertInstance(w.provisioner.store, w.clock, {
      leaseEndsAt: new Date(w.clock.now().getTime() + 20 * D).toISOString(),
    });
    w.activity.cpu(i.id, 0);
    w.clock.advance(10 * H);
    w.notifier.failNext = 1;
    await w.jobs.runOnce('idle');
    expect(w.provisioner.store.instances.get(i.id)?.idleWarnedAt).toBeNull();
    w.clock.advance(3 * H);
    await w.jobs.runOnce('idle');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('running');
    expect(of(w.notifier.notices, 'idle-warning')).toHaveLength(1);
  });
});

describe('retention', () => {
  const stoppedInstance = (w: JobsWorld, over = {}) =>
    insertInstance(w.provisioner.store, w.clock, {
      desired: 'stopped',
      phase: 'stopped',
      node: null,
      readyAt: null,
      stoppedAt: w.clock.now().toISOString(),
      ...over,
    });

  it('reminds 3 d and 1 d before, deletes as "system", then tells until when it can be restored', async () => {
    w = jobsWorld();
    const i = stoppedInstance(w);
    w.clock.advance(11 * D);
    await w.jobs.runOnce('retention');
    await w.another().jobs.runOnce('retention');
    w.clock.advance(D);
    await w.jobs.runOnce('retention');
    w.clock.advance(D);
    await w.jobs.runOnce('retention');
    const reminders = of(w.notifier.notices, 'retention-reminder');
    const deleteAt = new Date(Date.parse(i.stoppedAt!) + 14 * D).toISOString();
    expect(reminders.map((r) => [r.final, r.deleteAt])).toEqual([
      [false, deleteAt],
      [true, deleteAt],
    ]);
    w.clock.advance(D - 1);
    await w.jobs.runOnce('retention');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    w.clock.advance(1);
    const run = await w.jobs.runOnce('retention');
    expect(run.acted.map((a) => a.action)).toEqual(['delete-retention']);
    expect(w.provisioner.store.instances.get(i.id)).toMatchObject({ desired: 'deleted', phase: 'deleting' });
    expect(w.provisioner.store.audit.forInstance(i.id).at(-1)).toMatchObject({
      actor: 'system',
      action: 'delete',
      reason: expect.stringMatching(/^retention: stopped since/),
    });
    // No snapshot yet: nothing to tell.
    await w.jobs.runOnce('retention');
    expect(of(w.notifier.notices, 'snapshot-taken')).toEqual([]);
    // The reconciler: snapshot ready, disk deleted.
    const restoreUntil = new Date(w.clock.now().getTime() + 7 * D).toISOString();
    w.provisioner.store.instances.update(
      i.id,
      { phase: 'deleted', snapshotName: `${i.id}-final`, snapshotExpiresAt: restoreUntil },
      w.clock.now().toISOString(),
    );
    await w.jobs.runOnce('retention');
    await w.jobs.runOnce('retention');
    expect(of(w.notifier.notices, 'snapshot-taken')).toMatchObject([
      { instance: { id: i.id }, restoreUntil },
    ]);
  });

  it('an undeliverable final reminder: after 3 failed runs the admins are told once and it is deleted on schedule', async () => {
    w = jobsWorld();
    const i = stoppedInstance(w);
    const deadline = Date.parse(i.stoppedAt!) + 14 * D;
    w.notifier.failNext = Number.POSITIVE_INFINITY;
    w.clock.set(deadline - D);
    for (let run = 0; run < 3; run++) {
      expect((await w.jobs.runOnce('retention')).failed).toHaveLength(1);
      w.clock.advance(15 * 60_000);
    }
    expect(w.notifier.alerts).toEqual([]);
    expect((await w.jobs.runOnce('retention')).acted.map((a) => a.action)).toEqual(['report-undeliverable']);
    expect(w.notifier.alerts).toHaveLength(1);
    expect(w.notifier.alerts[0]).toContain(`web1 (${i.id})`);
    await w.jobs.runOnce('retention');
    expect(w.notifier.alerts).toHaveLength(1);
    w.clock.set(deadline - 1);
    await w.jobs.runOnce('retention');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    w.clock.set(deadline);
    expect((await w.jobs.runOnce('retention')).acted.map((a) => a.action)).toEqual(['delete-retention']);
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('deleted');
    expect(w.notifier.alerts).toHaveLength(1);
  });

  it('exempts instances an admin keeps', async () => {
    w = jobsWorld();
    const i = stoppedInstance(w);
    expect(w.provisioner.api.keep(owner, i.id, true).ok).toBe(false);
    expect(w.provisioner.api.keep(admin, i.id, true).ok).toBe(true);
    w.clock.advance(60 * D);
    expect(await w.jobs.dryRun()).toEqual([]);
    await w.jobs.runOnce('retention');
    expect(w.provisioner.store.instances.get(i.id)?.desired).toBe('stopped');
    expect(w.notifier.notices).toEqual([]);
  });
});

describe('dry run', () => {
  it('lists every action and why, and changes nothing', async () => {
    w = jobsWorld();
    const now = w.clock.now().getTime();
    const store = w.provisioner.store;
    const yesterday = new Date(now - D).toISOString();
    const soon = insertInstance(store, w.clock, {
      name: 'soon',
      createdAt: yesterday,
      leaseEndsAt: new Date(now + 2 * H).toISOString(),
    });
    const over = insertInstance(store, w.clock, {
      name: 'over',
      leaseEndsAt: new Date(now - H).toISOString(),
    });
    const idle = insertInstance(store, w.clock, {
      name: 'idle',
      leaseEndsAt: new Date(now + 20 * D).toISOString(),
      createdAt: yesterday,
      lastActiveAt: new Date(now - 7 * H).toISOString(),
      readyAt: new Date(now - 7 * H).toISOString(),
    });
    w.activity.cpu(idle.id, 0);
    const old = insertInstance(store, w.clock, {
      name: 'old',
      desired: 'stopped',
      phase: 'stopped',
      stoppedAt: new Date(now - 12 * D).toISOString(),
    });
    const before = JSON.stringify([
      store.instances.listAll(),
      store.db.prepare('SELECT * FROM reminders').all(),
    ]);
    const plan = await w.jobs.dryRun();
    expect(plan.map((a) => [a.instanceId, a.action])).toEqual([
      [soon.id, 'remind-lease'],
      [over.id, 'stop-expired'],
      [idle.id, 'warn-idle'],
      [old.id, 'remind-retention'],
    ]);
    expect(plan[2]).toMatchObject({
      owner: 'U1',
      name: 'idle',
      reason: expect.stringMatching(/^CPU under 2 % for 7 h; would stop at/),
    });
    expect(plan.every((a) => a.reason.length > 0)).toBe(true);
    expect(w.notifier.notices).toEqual([]);
    expect(
      JSON.stringify([store.instances.listAll(), store.db.prepare('SELECT * FROM reminders').all()]),
    ).toBe(before);

    for (const kind of ['reminders', 'expiry', 'idle', 'retention'] as const) await w.jobs.runOnce(kind);
    expect(w.notifier.kinds()).toEqual([
      'lease-reminder',
      'lease-expired',
      'idle-warning',
      'retention-reminder',
    ]);
    expect(await w.jobs.dryRun()).toEqual([]);
  });
});
