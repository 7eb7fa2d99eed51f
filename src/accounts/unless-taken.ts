/** @module A write that a unique index may refuse: its result, or Umami's 400 with the given message instead of a 500. */
import { ApiError } from '../lib/api-error.ts';

/**
 * Runs `write`; a unique index refusing it (a value a deleted row still holds, which checks about
 * live rows do not see) becomes 400 `message`. Anything else is thrown on.
 */
export function unlessTaken<T>(write: () => T, message: string): T {
  try {
    return write();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ApiError('bad-request', message);
    throw e;
  }
}
