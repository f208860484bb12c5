import type { Db } from './db.ts';
import { PreparedStatements } from './prepared-statements.ts';

export interface OAuthState {
  state: string;
  teamId: string;
  userId: string;
  codeVerifier: string;
  nonce: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

interface Row {
  state: string;
  team_id: string;
  user_id: string;
  code_verifier: string;
  nonce: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Server-side sign-in states: single use, expiring, bound to one Slack user. */
export class OAuthStatesRepo {
  readonly #sql: PreparedStatements;
  constructor(db: Db) {
    this.#sql = new PreparedStatements(db);
  }

  /** Stores a new state; false if one with this key exists already (the same link used twice). */
  put(s: Omit<OAuthState, 'usedAt'>): boolean {
    return (
      this.#sql
        .get(
          'INSERT INTO oauth_states (state, team_id, user_id, code_verifier, nonce, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (state) DO NOTHING',
        )
        .run(s.state, s.teamId, s.userId, s.codeVerifier, s.nonce, s.createdAt, s.expiresAt).changes === 1
    );
  }

  get(state: string): OAuthState | undefined {
    const r = this.#sql.get('SELECT * FROM oauth_states WHERE state = ?').get(state) as Row | undefined;
    return (
      r && {
        state: r.state,
        teamId: r.team_id,
        userId: r.user_id,
        codeVerifier: r.code_verifier,
        nonce: r.nonce,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        usedAt: r.used_at,
      }
    );
  }

  /** Marks the state used; false if it was used already (a replay). */
  consume(state: string, now: string): boolean {
    return (
      this.#sql.get('UPDATE oauth_states SET used_at = ? WHERE state = ? AND used_at IS NULL').run(now, state)
        .changes === 1
    );
  }

  purgeExpired(now: string): void {
    this.#sql.get('DELETE FROM oauth_states WHERE expires_at < ?').run(now);
  }
}
