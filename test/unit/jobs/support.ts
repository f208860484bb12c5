// Shared set-up of the jobs unit tests: a real SQLite file, a Provisioner that is never started (no
// cluster), a recording Notifier (the front-end boundary) and an activity source the test controls.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ManualClock } from '../../../provisioner/clock.ts';
import { parseConfig } from '../../../provisioner/config/load.ts';
import type { TiSpaceConfig } from '../../../provisioner/config/schema.ts';
import type {
  ActivitySample,
  ActivitySource,
  ActivityTarget,
} from '../../../provisioner/jobs/activity-signals.ts';
import type { Jobs } from '../../../provisioner/jobs/scheduler.ts';
import type { JobNotice, Notifier } from '../../../provisioner/notifier.ts';
import { createJobs, Provisioner } from '../../../provisioner/provisioner.ts';
import { newInstanceRow, type StoredInstance } from '../../../provisioner/store/instances-repo.ts';
import type { Store } from '../../../provisioner/store/store.ts';

export const H = 3_600_000;
export const D = 24 * H;
export const log = pino({ level: 'silent' });

export const tempDbPath = () => join(mkdtempSync(join(tmpdir(), 'tispace-jobs-')), 'tispace.db');

export function testConfig(raw: Record<string, unknown> = {}): TiSpaceConfig {
  const parsed = parseConfig({ admins: ['admin@corp.com'], ...raw });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

/** Points nowhere: the Provisioner is constructed but never started. */
export function dummyKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  return kc;
}

/** Records every notice; can be told to fail the next deliveries. */
export class RecordingNotifier implements Notifier {
  readonly notices: { userId: string; notice: JobNotice }[] = [];
  failNext = 0;
  async instanceChanged(): Promise<void> {}
  async adminAlert(): Promise<void> {}
  async notice(userId: string, notice: JobNotice): Promise<boolean> {
    if (this.failNext > 0) {
      this.failNext--;
      return false;
    }
    this.notices.push({ userId, notice });
    return true;
  }
  kinds(): string[] {
    return this.notices.map((n) => n.notice.kind);
  }
}

/** Per-instance samples; unknown instances are unavailable (left out of the answer). Counts passes. */
export class FakeActivity implements ActivitySource {
  readonly samples = new Map<string, ActivitySample>();
  /** The instances each sampleAll call asked about. */
  readonly calls: string[][] = [];
  cpu(id: string, percent: number): void {
    this.samples.set(id, { cpu: { available: true, percent }, ssh: { available: false, reason: 'none' } });
  }
  async sampleAll(instances: readonly ActivityTarget[]): Promise<ReadonlyMap<string, ActivitySample>> {
    this.calls.push(instances.map((i) => i.id));
    const answer = new Map<string, ActivitySample>();
    for (const i of instances) {
      const sample = this.samples.get(i.id);
      if (sample) answer.set(i.id, sample);
    }
    return answer;
  }
}

export function linkUser(store: Store, clock: ManualClock, userId: string, email: string, tz?: string): void {
  store.users.link(userId, {
    teamId: 'T1',
    googleSub: `sub-${userId}`,
    email,
    linkedAt: clock.now().toISOString(),
    expiresAt: new Date(clock.now().getTime() + 365 * D).toISOString(),
  });
  if (tz) store.users.setTimeZone(userId, tz);
}

export function insertInstance(
  store: Store,
  clock: ManualClock,
  over: Partial<StoredInstance> = {},
): StoredInstance {
  const now = clock.now().toISOString();
  const name = over.name ?? 'web1';
  const row = newInstanceRow({
    id: `${name}-bcdfg`,
    name,
    ownerId: 'U1',
    ownerEmail: 'dev@corp.com',
    image: 'ubuntu-22.04',
    cpu: 4,
    memoryGiB: 16,
    diskGiB: 50,
    loginUser: 'ubuntu',
    phase: 'running',
    node: 'dev-1',
    sshHost: '10.0.0.1',
    sshPort: 30022,
    createdAt: now,
    readyAt: now,
    leaseEndsAt: new Date(clock.now().getTime() + 7 * D).toISOString(),
    lastActiveAt: now,
    ...over,
  });
  store.instances.insert(row, now);
  return row;
}

export interface World {
  path: string;
  clock: ManualClock;
  config: TiSpaceConfig;
  provisioner: Provisioner;
  notifier: RecordingNotifier;
  activity: FakeActivity;
  jobs: Jobs;
  /** Another runner: a new Provisioner and Jobs on a new connection to the same file. */
  another(identity?: string): { provisioner: Provisioner; jobs: Jobs };
  close(): void;
}

export function world(options: { config?: Record<string, unknown>; start?: string } = {}): World {
  const path = tempDbPath();
  const clock = new ManualClock(options.start ?? '2026-01-05T09:00:00Z');
  const config = testConfig(options.config);
  const notifier = new RecordingNotifier();
  const activity = new FakeActivity();
  const opened: Provisioner[] = [];
  const make = (identity: string) => {
    const provisioner = new Provisioner({
      config,
      kubeConfig: dummyKubeConfig(),
      store: path,
      log,
      clock,
      notifier,
    });
    opened.push(provisioner);
    const jobs = createJobs(provisioner, { log, clock, activity, identity });
    return { provisioner, jobs };
  };
  const first = make('runner-1');
  linkUser(first.provisioner.store, clock, 'U1', 'dev@corp.com');
  linkUser(first.provisioner.store, clock, 'UA', 'admin@corp.com');
  let n = 1;
  return {
    path,
    clock,
    config,
    notifier,
    activity,
    ...first,
    another: (identity) => make(identity ?? `runner-${++n}`),
    close: () => {
      for (const p of opened) p.store.close();
    },
  };
}
