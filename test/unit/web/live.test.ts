// Live updates: a phase change reaches the owner's open pages (and admins'), rendered per viewer, and
// never another user's; a stream starts with the current state of the viewer's machines.

import { afterEach, describe, expect, it } from 'vitest';
import { instanceRow } from '../../support/instances.ts';
import { startWeb, type WebUnderTest } from './support.ts';

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Opens /api/v1/events as `userId` (browser session, or an API token) and collects the events. */
async function stream(web: WebUnderTest, userId: string, token?: string) {
  const controller = new AbortController();
  const res = await fetch(`${web.url}/api/v1/events`, {
    headers: token
      ? { authorization: `Bearer ${token}` }
      : { cookie: `__Host-tispace_session=${web.provisioner.web.openSession(userId).token}` },
    signal: controller.signal,
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: {
    event: string;
    data: { id: string; mine?: boolean; html?: string; machine?: Record<string, unknown>; ids?: string[] };
  }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: () => controller.abort() };
}

const until = async (what: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('live updates over SSE', () => {
  it('sends a changed machine to its owner and to admins, never to others', async () => {
    w = await startWeb({});
    const ids = Object.fromEntries(
      ['ada@example.com', 'bob@example.com', 'boss@corp.com'].map((email) => {
        const u = w!.provisioner.web.signIn({ sub: email, email });
        if (!u.ok) throw new Error(u.error.message);
        return [email, u.value.userId];
      }),
    );
    const ada = ids['ada@example.com']!;
    const now = w.clock.now().toISOString();
    const row = instanceRow({
      ownerId: ada,
      createdAt: now,
      leaseEndsAt: new Date(w.clock.now().getTime() + 86_400_000).toISOString(),
    });
    w.provisioner.store.instances.insert(row, now);
    const adaStream = await stream(w, ada);
    const token = w.provisioner.web.createToken(ada, { name: 'watch', scopes: ['machines:read'], days: 1 });
    if (!token.ok) throw new Error(token.error.message);
    const scriptStream = await stream(w, ada, token.value.token);
    const bobStream = await stream(w, ids['bob@example.com']!);
    const bossStream = await stream(w, ids['boss@corp.com']!);
    // Ada's stream opens with her machine as it is now, then the list of what exists (a page drops cards
    // of machines not in it: they went while it had no stream). Bob's and the admin's own lists are empty.
    await until(
      () => adaStream.events.length === 2 && bobStream.events.length === 1 && bossStream.events.length === 1,
    );
    expect(adaStream.events[0]).toMatchObject({ event: 'machine', data: { id: row.id, mine: true } });
    expect(adaStream.events[1]).toEqual({ event: 'present', data: { ids: [row.id] } });
    expect(bobStream.events).toEqual([{ event: 'present', data: { ids: [] } }]);
    expect(bossStream.events).toEqual([{ event: 'present', data: { ids: [] } }]);

    const running = w.provisioner.store.instances.update(
      row.id,
      {
        phase: 'running',
        sshHost: `${row.id}-ssh.tispace`,
        sshPort: 22,
        sshJump: 'tispace@gw.example.com',
        node: 'dev-2',
      },
      now,
    )!;
    await w.web.live.instanceChanged(running, { from: 'provisioning', to: 'running' });
    await until(() => adaStream.events.length === 3 && bossStream.events.length === 2);
    expect(adaStream.events[2]!.data.html).toContain('>Ready<');
    expect(adaStream.events[2]!.data.html).toContain(
      `ssh -J tispace@gw.example.com ubuntu@${row.id}-ssh.tispace`,
    );
    expect(adaStream.events[2]!.data.html).toContain('dev-2');
    // The same event as API data: the Machine of GET /api/v1/machines/{id}; a script gets no markup.
    expect(adaStream.events[2]!.data.machine).toMatchObject({
      id: row.id,
      phase: 'running',
      node: 'dev-2',
      ssh: expect.objectContaining({ command: `ssh -J tispace@gw.example.com ubuntu@${row.id}-ssh.tispace` }),
    });
    await until(() => scriptStream.events.length === 3);
    expect(scriptStream.events[1]).toEqual({ event: 'present', data: { ids: [row.id] } });
    expect(scriptStream.events[2]!.data).toEqual({
      id: row.id,
      mine: true,
      machine: adaStream.events[2]!.data.machine,
    });
    expect(bossStream.events[1]).toMatchObject({ event: 'machine', data: { id: row.id, mine: false } });
    expect(bossStream.events[1]!.data.html).toContain('ada@example.com');

    w.provisioner.store.instances.update(row.id, { phase: 'deleted', desired: 'deleted' }, now);
    await w.web.live.instanceChanged({ ...running, phase: 'deleted' }, { from: 'deleting', to: 'deleted' });
    await until(() => adaStream.events.length === 4);
    expect(adaStream.events[3]).toEqual({ event: 'gone', data: { id: row.id } });
    await new Promise((r) => setTimeout(r, 200));
    expect(bobStream.events).toEqual([{ event: 'present', data: { ids: [] } }]);
    for (const s of [adaStream, bobStream, bossStream, scriptStream]) s.close();
  });

  it('refuses a stream without a session or token, or with a token that may not read machines', async () => {
    w = await startWeb({});
    const none = await fetch(`${w.url}/api/v1/events`, { redirect: 'manual' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'Unauthenticated' } });
    const u = w.provisioner.web.signIn({ sub: 'ada', email: 'ada@example.com' });
    if (!u.ok) throw new Error(u.error.message);
    const keysOnly = w.provisioner.web.createToken(u.value.userId, {
      name: 'k',
      scopes: ['keys:read'],
      days: 1,
    });
    if (!keysOnly.ok) throw new Error(keysOnly.error.message);
    const scoped = await fetch(`${w.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${keysOnly.value.token}` },
    });
    expect(scoped.status).toBe(403);
    expect(await scoped.json()).toMatchObject({ error: { code: 'InsufficientScope' } });
  });
});
