import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FollowUps } from '../../../../bot/listeners/follow-ups.ts';

/** Synchronous work, as rendering a view and building a Slack call is. */
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
};

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A burst of 10 requests, on connections already open (as Slack's and a load generator's are), to a server
 * whose listeners ack and then do 20 ms of synchronous work. Returns the server's event log: 'ack i' when
 * request i is answered, 'work i' when its follow-up starts.
 */
async function burst(handle: (i: number, res: http.ServerResponse, log: string[]) => Promise<void>) {
  const log: string[] = [];
  let warm = true;
  server = http.createServer((req, res) => {
    if (warm) return void res.end('ok');
    void handle(Number(req.url?.slice(1)), res, log);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const get = (i: number) =>
    new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/${i}`, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  const all = () => Promise.all(Array.from({ length: 10 }, (_, i) => get(i)));
  await all(); // opens the 10 connections
  await new Promise((resolve) => setTimeout(resolve, 20));
  warm = false;
  await all();
  // Let the last follow-ups finish.
  await new Promise((resolve) => setTimeout(resolve, 250));
  agent.destroy();
  return log;
}

/** How many follow-ups had started before the last request of the burst was answered. */
const workBeforeLastAck = (log: string[]) => {
  const lastAck = log.findLastIndex((e) => e.startsWith('ack'));
  return log.slice(0, lastAck).filter((e) => e.startsWith('work')).length;
};

describe('follow-ups', () => {
  it('answers every request of a burst before doing the work of more than one', async () => {
    const followUps = new FollowUps();
    const log = await burst(async (i, res, log) => {
      await followUps.admit();
      res.end('ok');
      log.push(`ack ${i}`);
      await followUps.turn();
      log.push(`work ${i}`);
      busy(20);
    });
    expect(log.filter((e) => e.startsWith('work'))).toHaveLength(10);
    expect(workBeforeLastAck(log)).toBeLessThanOrEqual(1);
  });

  it('(the same burst without it: each ack waits behind the work of the requests before it)', async () => {
    const log = await burst(async (i, res, log) => {
      res.end('ok');
      log.push(`ack ${i}`);
      log.push(`work ${i}`);
      busy(20);
    });
    expect(workBeforeLastAck(log)).toBeGreaterThan(5);
  });

  it('runs follow-ups in arrival order, reporting the backlog down to zero', async () => {
    const reported: number[] = [];
    const followUps = new FollowUps({ onBacklog: (n) => reported.push(n) });
    const order: number[] = [];
    const all = [1, 2, 3].map(async (n) => {
      await followUps.turn();
      order.push(n);
    });
    expect(followUps.backlog).toBe(3);
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3]);
    expect(followUps.backlog).toBe(0);
    expect(reported).toEqual([1, 2, 3, 2, 1, 0]);
  });

  it('holds new acknowledgements while the backlog is full, and lets them go as it drains', async () => {
    const followUps = new FollowUps({ maxBacklog: 2 });
    const events: string[] = [];
    const request = async (n: number) => {
      await followUps.admit();
      events.push(`ack ${n}`);
      await followUps.turn();
      events.push(`work ${n}`);
    };
    const first = [request(1), request(2)];
    await Promise.resolve(); // both acknowledged, their work waiting: the backlog is full
    expect(followUps.backlog).toBe(2);
    const third = request(3);
    await Promise.resolve();
    expect(events).toEqual(['ack 1', 'ack 2']);
    await Promise.all([...first, third]);
    expect(events.indexOf('ack 3')).toBeGreaterThan(events.indexOf('work 1'));
    expect(events.filter((e) => e.startsWith('work'))).toEqual(['work 1', 'work 2', 'work 3']);
  });
});
