import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../provisioner/clock.ts';
import { buildService } from '../../../../provisioner/kube/builders.ts';
import {
  GATEWAY_STALE_AFTER_MS,
  GatewaySessionTracker,
  parsePeer,
} from '../../../../provisioner/ssh/gateway-sessions.ts';
import { config, instance } from '../fixtures.ts';

const T0 = '2026-01-05T10:02:00.000Z';

/** A machine's Service as the cache holds it, with its ClusterIP. */
function machine(id: string, ownerId: string, clusterIP: string): V1Service {
  const svc = buildService(config, { ...instance, id, ownerId });
  return { ...svc, spec: { ...svc.spec, clusterIP } };
}

function setUp(services: V1Service[]) {
  const clock = new ManualClock(T0);
  const tracker = new GatewaySessionTracker({
    services: { list: () => services },
    namespace: 'tispace',
    clock,
  });
  return { clock, tracker };
}

const ada = { id: 'box-aaaaa', ownerId: 'UADA' };
const bob = { id: 'bob-bbbbb', ownerId: 'UBOB' };
const machines = () => [
  machine(ada.id, ada.ownerId, '10.96.0.10'),
  machine(bob.id, bob.ownerId, '10.96.0.20'),
];

describe('the gateway session tracker', () => {
  it('is unavailable until a gateway has reported (CPU alone decides meanwhile)', () => {
    const { tracker, clock } = setUp(machines());
    expect(tracker.signal(ada, clock.now())).toEqual({
      available: false,
      reason: 'no SSH gateway has reported yet',
    });
  });

  it('credits each connection to the machine whose Service holds the peer ClusterIP, with since-when', () => {
    const { tracker, clock } = setUp(machines());
    const report = (peers: string[]) =>
      tracker.reportGatewaySessions({ gateway: 'gw-1', connections: peers.map((peer) => ({ peer })) });
    expect(report(['10.96.0.10:22', '10.96.0.10:22'])).toEqual({ ok: true, value: { credited: 2 } });
    clock.advance(30_000);
    report(['10.96.0.10:22']);
    expect(tracker.signal(ada, clock.now())).toEqual({
      available: true,
      activeSessions: 1,
      openSince: T0, // open without a break since the first report
      lastSessionAt: '2026-01-05T10:02:30.000Z',
    });
    expect(tracker.signal(bob, clock.now())).toEqual({
      available: true,
      activeSessions: 0,
      openSince: null,
      lastSessionAt: null,
    });
    // Closed: the report that no longer has it is when it ended.
    clock.advance(30_000);
    report([]);
    clock.advance(30_000);
    report([]);
    expect(tracker.signal(ada, clock.now())).toEqual({
      available: true,
      activeSessions: 0,
      openSince: null,
      lastSessionAt: '2026-01-05T10:03:00.000Z',
    });
  });

  it('sums several gateways, and drops one that went silent', () => {
    const { tracker, clock } = setUp(machines());
    tracker.report('gw-1', ['10.96.0.10:22'], clock.now());
    clock.advance(60_000);
    tracker.report('gw-2', ['10.96.0.10:22', '10.96.0.10:22'], clock.now());
    expect(tracker.signal(ada, clock.now())).toMatchObject({ activeSessions: 3, openSince: T0 });
    clock.advance(GATEWAY_STALE_AFTER_MS - 30_000);
    tracker.report('gw-2', ['10.96.0.10:22'], clock.now());
    // gw-1 last reported 120 s ago: its session is no longer known.
    expect(tracker.signal(ada, clock.now())).toMatchObject({
      activeSessions: 1,
      openSince: '2026-01-05T10:03:00.000Z',
    });
  });

  it('is unavailable, saying since when, once no gateway reported for 3 report intervals', () => {
    const { tracker, clock } = setUp(machines());
    tracker.report('gw-1', ['10.96.0.10:22'], clock.now());
    clock.advance(GATEWAY_STALE_AFTER_MS);
    expect(tracker.signal(ada, clock.now())).toMatchObject({ available: true, activeSessions: 1 });
    clock.advance(1);
    expect(tracker.signal(ada, clock.now())).toEqual({
      available: false,
      reason: `no SSH gateway has reported since ${T0} (reports are due every 30 s)`,
    });
  });

  it('ignores peers that are no machine’s sshd: unknown addresses, other ports, foreign Services', () => {
    const foreign = machine('evil-ccccc', 'UEVE', '10.96.0.30');
    foreign.metadata = { ...foreign.metadata, labels: { 'tispace.io/instance': 'evil-ccccc' } }; // not managed
    const misnamed = machine('box-aaaaa', 'UADA', '10.96.0.40');
    misnamed.metadata = { ...misnamed.metadata, name: 'something-else' };
    const { tracker, clock } = setUp([...machines(), foreign, misnamed]);
    const credited = tracker.report(
      'gw-1',
      ['10.96.0.99:22', '10.96.0.10:2222', '10.96.0.30:22', '10.96.0.40:22', '10.96.0.20:22'],
      clock.now(),
    );
    expect(credited).toBe(1);
    expect(tracker.signal(ada, clock.now())).toMatchObject({ activeSessions: 0, lastSessionAt: null });
    expect(tracker.signal(bob, clock.now())).toMatchObject({ activeSessions: 1 });
  });

  it('never credits another owner’s machine, even one holding the same id', () => {
    const { tracker, clock } = setUp(machines());
    tracker.report('gw-1', ['10.96.0.20:22'], clock.now());
    // Bob's Service holds the address; an instance of Ada's (a stale row, a reused id) gets nothing.
    expect(tracker.signal({ id: bob.id, ownerId: ada.ownerId }, clock.now())).toMatchObject({
      activeSessions: 0,
      lastSessionAt: null,
    });
    expect(tracker.signal(ada, clock.now())).toMatchObject({ activeSessions: 0 });
    expect(tracker.signal(bob, clock.now())).toMatchObject({ activeSessions: 1 });
  });

  it('refuses a malformed report with what was wrong, recording nothing', () => {
    const { tracker, clock } = setUp(machines());
    expect(tracker.reportGatewaySessions({ gateway: '', connections: [] })).toEqual({
      ok: false,
      error: {
        code: 'InvalidInput',
        field: 'gateway',
        message:
          'gateway: must be the reporting gateway’s name (letters, digits, ".", "_", ":", "-"; up to 253)',
      },
    });
    const bad = tracker.reportGatewaySessions({
      gateway: 'gw-1',
      connections: [{ peer: '10.96.0.10:22' }, { peer: 'box-aaaaa-ssh.tispace:22' }],
    });
    expect(!bad.ok && bad.error.message).toBe(
      'connections.1.peer: must be "<ip>:<port>" (e.g. "10.96.12.7:22"), got "box-aaaaa-ssh.tispace:22"',
    );
    const notList = tracker.reportGatewaySessions({ gateway: 'gw-1', connections: 'x' as never });
    expect(!notList.ok && notList.error.message).toMatch(/^connections: must be a list/);
    expect(tracker.signal(ada, clock.now())).toEqual({
      available: false,
      reason: 'no SSH gateway has reported yet',
    });
  });

  it('reads IPv4 and bracketed IPv6 peers', () => {
    expect(parsePeer('10.96.12.7:22')).toEqual({ address: '10.96.12.7', port: 22 });
    expect(parsePeer('[FD00::7]:22')).toEqual({ address: 'fd00::7', port: 22 });
    for (const bad of ['10.96.12.700:22', '10.96.12.7', '10.96.12.7:0', 'fd00::7:22', ':22'])
      expect(parsePeer(bad)).toBeUndefined();
  });
});
