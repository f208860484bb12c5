/**
 * Errors as data. Every refusal a user can cause is a UserError whose message says what was wrong and
 * what is allowed; front ends show `message` as is and may attach it to `field` (e.g. a modal input).
 */
export type UserErrorCode =
  | 'InvalidInput'
  | 'NotFound'
  | 'Forbidden'
  | 'NotLinked'
  | 'Deactivated'
  | 'QuotaExceeded'
  | 'NoCapacity'
  | 'Conflict'
  | 'InvalidState'
  /** A machine nobody could log in to: the user has no SSH key yet. */
  | 'NoSshKey';

export interface UserError {
  readonly code: UserErrorCode;
  readonly message: string;
  /** The input the error is about, when there is one (name, cpu, memoryGiB, diskGiB, image, lease, key). */
  readonly field?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: UserError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(code: UserErrorCode, message: string, field?: string): Result<T> => ({
  ok: false,
  error: field === undefined ? { code, message } : { code, message, field },
});

/** Thrown inside store transactions to abort them with a user-facing error; converted back to data. */
export class UserErrorAbort extends Error {
  constructor(readonly error: UserError) {
    super(error.message);
  }
}
