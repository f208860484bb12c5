// Shared set-up of the jobs unit tests: a real SQLite file, a Provisioner that is never started (no
// cluster), a recording Notifier (the front-end boundary) and an activity source the test controls.

import { ManualClock } from '../../../../provisioner/clock.ts';
import type { TiSpaceConfig } from '../../../../provisioner/config/schema.ts';
import { parsePublicKey } from '../../../../provisioner/domain/ssh-key.ts';
import type {
  ActivitySample,
  ActivitySource,
  ActivityTarget,
} from '../../../../provisioner/jobs/activity-signals.ts';
import type { Jobs } from '../../../../provisioner/jobs/scheduler.ts';
import type { JobNotice, Notifier } from '../../../../provisioner/notifier.ts';
import { createJobs, type Provisioner } from '../../../../provisioner/provisioner.ts';
import type { StoredInstance } from '../../../../provisioner/store/instances-repo.ts';
import type { Store } from '../../../../provisioner/store/store.ts';
import { testConfig } from '../../../support/config.ts';
import { D } from '../../../support/durations.ts';
import { instanceRow, RUNNING } from '../../../support/instances.ts';
import { TEST_PUBLIC_KEY } from '../../../support/keys.ts';
import { silentLog as log } from '../../../support/log.ts';
import { offlineProvisioner } from '../../../support/offline-provisioner.ts';
import { tempDbPath } from '../../../support/temp.ts';

/** Records every notice; can be told to fail the next deliveries. */
export class RecordingNotifier implements Notifier {
  readonly notices: { userId: string; notice: JobNotice }[] = [];
  /** What admins were told. */
  readonly alerts: string[] = [];
  failNext = 0;
  async instanceChanged(): Promise<void> {}
  async adminAlert(text: string): Promise<void> {
    this.alerts.push(text);
  }
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
  // Creating needs a key (a machine nobody can log in to is refused).
  const key = parsePublicKey(TEST_PUBLIC_KEY);
  if (!key.ok) throw new Error(key.message);
  store.keys.add({ userId, ...key.key, createdAt: clock.now().toISOString() });
}

export function insertInstance(
  store: Store,
  clock: ManualClock,
  over: Partial<StoredInstance> = {},
): StoredInstance {
  const now = clock.now().toISOString();
  const name = over.name ?? 'web1';
  const row = instanceRow({
    id: `${name}-bcdfg`,
    name,
    ownerId: 'U1',
    ownerEmail: 'dev@corp.com',
    cpu: 4,
    memoryGiB: 16,
    ...RUNNING,
    createdAt: now,
    readyAt: now,
    leaseEndsAt: new Date(clock.now().getTime() + 7 * D).toISOString(),
    lastActiveAt: now,
    ...over,
  });
  store.instances.insert(row, now);
  return row;
}

/** A jobs runner (or several) over one SQLite file, with a clock, notifier and activity the test controls. */
export interface JobsWorld {
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

export function jobsWorld(options: { config?: Record<string, unknown>; start?: string } = {}): JobsWorld {
  const path = tempDbPath();
  const clock = new ManualClock(options.start ?? '2026-01-05T09:00:00Z');
  const config = testConfig({ admins: ['admin@corp.com'], ...options.config });
  const notifier = new RecordingNotifier();
  const activity = new FakeActivity();
  const opened: Provisioner[] = [];
  const make = (identity: string) => {
    const provisioner = offlineProvisioner({ config, store: path, clock, notifier });
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
