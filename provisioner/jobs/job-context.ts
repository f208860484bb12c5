import type { Logger } from 'pino';
import type { TiSpaceConfig } from '../config/schema.ts';
import type { PolicyActions } from '../service/policy-actions.ts';
import type { Store } from '../store/store.ts';
import type { NoticeDelivery } from './notices.ts';

/** What every job's planner reads and acts through. */
export interface JobContext {
  config: TiSpaceConfig;
  /** The store the service writes through (policy actions record their ledger in its transactions). */
  store: Store;
  /** The policy actions the jobs take (actor 'system'); nothing else of the service. */
  service: PolicyActions;
  notices: NoticeDelivery;
  log: Logger;
}

/** The owner's time zone as it is now (null: UTC). */
export const ownerZone = (store: Store, userId: string): string | null => store.users.get(userId)?.tz ?? null;
