/**
 * @module ExportSlots: how many exports stream at once, in all and per user. An export holds a
 * page of rows and the chunk being sent (constant in the row count, but a page may hold one row
 * of ~10 MB: a 4 MB RudderStack message and its properties again), and ~80 MB of a process's
 * RSS went to each such export while it streamed, so that 8 at once took the process from 94 to
 * 745 MB. Past a cap an export is answered 503 with Retry-After, never queued (a queue would be
 * one more thing to bound, and a client's retry is its own queue).
 */
import { ApiError } from './errors.ts';

/** Exports streaming at once, all users together. */
export const MAX_EXPORTS = 4;
/** …and per user (a script exporting every website in parallel leaves room for the others). */
export const MAX_EXPORTS_PER_USER = 2;

export class ExportSlots {
  private running = 0;
  private readonly perUser = new Map<string, number>();

  constructor(private readonly max = MAX_EXPORTS, private readonly maxPerUser = MAX_EXPORTS_PER_USER) {}

  /**
   * A slot for `userId`'s export, or 503 (ApiError) when every slot, or this user's share, is
   * taken. The returned function gives it back; calling it again does nothing.
   */
  take(userId: string): () => void {
    const mine = this.perUser.get(userId) ?? 0;
    if (this.running >= this.max || mine >= this.maxPerUser) {
      const why = mine >= this.maxPerUser ? `you have ${mine} exports streaming, the most one user may` : `${this.running} exports are streaming, the most at once`;
      throw new ApiError('service-unavailable', `${why}: retry once one has ended`, {}, { 'retry-after': '5' });
    }
    this.running++;
    this.perUser.set(userId, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.running--;
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
    };
  }

  /** Exports streaming now. */
  get size(): number {
    return this.running;
  }
}
