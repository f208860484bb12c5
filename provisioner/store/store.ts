import { ApiTokensRepo } from './api-tokens-repo.ts';
import { AuditRepo } from './audit-repo.ts';
import { type Db, durably, openDb } from './db.ts';
import { InstancesRepo } from './instances-repo.ts';
import { KeysRepo } from './keys-repo.ts';
import { OAuthStatesRepo } from './oauth-states-repo.ts';
import { QuotasRepo } from './quotas-repo.ts';
import { RemindersRepo } from './reminders-repo.ts';
import { UsersRepo } from './users-repo.ts';
import { WebSessionsRepo } from './web-sessions-repo.ts';

/** The SQLite store: one file, one connection, a repository per concept. */
export class Store {
  readonly users: UsersRepo;
  readonly keys: KeysRepo;
  readonly instances: InstancesRepo;
  readonly quotas: QuotasRepo;
  readonly reminders: RemindersRepo;
  readonly audit: AuditRepo;
  readonly oauthStates: OAuthStatesRepo;
  readonly webSessions: WebSessionsRepo;
  readonly apiTokens: ApiTokensRepo;

  constructor(readonly db: Db) {
    this.users = new UsersRepo(db);
    this.keys = new KeysRepo(db);
    this.instances = new InstancesRepo(db);
    this.quotas = new QuotasRepo(db);
    this.reminders = new RemindersRepo(db);
    this.audit = new AuditRepo(db);
    this.oauthStates = new OAuthStatesRepo(db);
    this.webSessions = new WebSessionsRepo(db);
    this.apiTokens = new ApiTokensRepo(db);
  }

  static open(path: string): Store {
    return new Store(openDb({ path }));
  }

  /** Durable IMMEDIATE transaction, for decisions that create or destroy things. */
  durably<T>(fn: () => T): T {
    return durably(this.db, fn);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  ping(): boolean {
    return this.db.prepare('SELECT 1 AS one').get() !== undefined;
  }

  close(): void {
    this.db.close();
  }
}
