/** @module What the server tidies while it runs: Prisme's idle sessions and the salts of days gone every 10 s, ended login tokens every hour. */
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { realTimers, type Timers } from '../lib/timers.ts';

/** How often sessions are swept and salts purged (a salt goes within this of midnight). */
export const SWEEP_EVERY_MS = 10_000;
/** How often login tokens that expired or were revoked are deleted (a row each; they were only deleted at start). */
export const TOKEN_PURGE_EVERY_MS = 3_600_000;

export interface HousekeepingDeps {
  sessions: { sweep(): void };
  salts: { purge(): void };
  tokens: { purgeExpired(now: number): number };
  /** The wall clock tokens expire by. */
  clock: Clock;
  log: Logger;
  timers?: Timers;
}

/** Starts the rounds (the first token purge an hour from now: start-up does one); returns what stops them. */
export function startHousekeeping(d: HousekeepingDeps): () => void {
  const timers = d.timers ?? realTimers;
  let sinceTokens = 0;
  let cancel: () => void = () => {};
  /** A chore that throws is logged, not thrown: from a timer it would end the process. */
  const chore = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      d.log.error(`housekeeping: ${what} failed; trying again at the next round`, { error: String(error) });
    }
  };
  const round = () => {
    cancel = timers.after(SWEEP_EVERY_MS, round);
    chore('the session sweep', () => d.sessions.sweep());
    chore('the salt purge', () => d.salts.purge());
    sinceTokens += SWEEP_EVERY_MS;
    if (sinceTokens >= TOKEN_PURGE_EVERY_MS) {
      sinceTokens = 0;
      try {
        d.tokens.purgeExpired(d.clock());
      } catch (error) {
        // The database busy or full: the rows wait for the next hour; nothing depends on them.
        d.log.warn('could not delete ended login tokens; trying again in an hour', { error: String(error) });
      }
    }
  };
  cancel = timers.after(SWEEP_EVERY_MS, round);
  return () => cancel();
}
