import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { silentLogger } from '../lib/log.ts';
import { virtualTimers } from '../lib/timers.ts';
import { SWEEP_EVERY_MS, TOKEN_PURGE_EVERY_MS, startHousekeeping } from './housekeeping.ts';

function counting() {
  const calls = { sweep: 0, purge: 0, tokens: [] as number[] };
  const timers = virtualTimers();
  const clock = manualClock(5_000);
  const stop = startHousekeeping({
    sessions: { sweep: () => void calls.sweep++ },
    salts: { purge: () => void calls.purge++ },
    tokens: { purgeExpired: (now) => (calls.tokens.push(now), 0) },
    clock, log: silentLogger, timers,
  });
  return { calls, timers, stop };
}

describe('housekeeping', () => {
  it('sweeps sessions and purges salts every 10 s, and deletes ended login tokens every hour, at the wall clock', () => {
    const { calls, timers, stop } = counting();
    timers.advance(SWEEP_EVERY_MS - 1);
    expect(calls).toEqual({ sweep: 0, purge: 0, tokens: [] });
    timers.advance(1);
    expect([calls.sweep, calls.purge]).toEqual([1, 1]);
    timers.advance(TOKEN_PURGE_EVERY_MS - SWEEP_EVERY_MS);
    expect([calls.sweep, calls.tokens]).toEqual([TOKEN_PURGE_EVERY_MS / SWEEP_EVERY_MS, [5_000]]);
    stop();
    timers.advance(TOKEN_PURGE_EVERY_MS);
    expect(calls.sweep).toBe(TOKEN_PURGE_EVERY_MS / SWEEP_EVERY_MS);
    expect(timers.pending()).toBe(0);
  });

  it('logs a chore that throws instead of ending the process, and goes on with the next rounds', () => {
    const timers = virtualTimers();
    const errors: string[] = [];
    let purges = 0;
    const log = { ...silentLogger, error: (msg: string) => void errors.push(msg) };
    startHousekeeping({
      sessions: { sweep: () => { throw new Error('a bug'); } }, salts: { purge: () => void purges++ },
      tokens: { purgeExpired: () => 0 }, clock: manualClock(), log, timers,
    });
    timers.advance(2 * SWEEP_EVERY_MS);
    expect([errors, purges]).toEqual([Array(2).fill('housekeeping: the session sweep failed; trying again at the next round'), 2]);
  });

  it('goes on when a token purge fails (the database busy), trying again an hour later', () => {
    const timers = virtualTimers();
    let tries = 0;
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    startHousekeeping({
      sessions: { sweep() {} }, salts: { purge() {} },
      tokens: { purgeExpired: () => { tries++; throw new Error('SQLITE_BUSY: database is locked'); } },
      clock: manualClock(), log, timers,
    });
    timers.advance(2 * TOKEN_PURGE_EVERY_MS);
    expect(tries).toBe(2);
    expect(warnings).toEqual(Array(2).fill('could not delete ended login tokens; trying again in an hour'));
  });
});
