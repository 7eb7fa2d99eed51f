/** @module The monotonic clock, sleeps and one-shot timers a component waits with, passed in so tests drive time instead of waiting for it. */

export interface Timers {
  /** Monotonic milliseconds (a wall clock set back must not stall a wait). */
  now(): number;
  /** Resolves once `ms` have passed. */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` once, `ms` from now, without keeping the process alive; returns what cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  sleep: (ms) => Bun.sleep(Math.max(0, ms)),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export interface VirtualTimers extends Timers {
  /** Moves the clock on by `ms`, calling the timers that fall due on the way, in order. */
  advance(ms: number): void;
  /** Timers armed and neither called nor cancelled. */
  pending(): number;
}

/**
 * Time that passes only when told: advance(), or a sleep(), which moves the clock by its own
 * length at once (so code that sleeps runs through its waits without real time going by) and
 * calls every timer due before it resolves.
 */
export function virtualTimers(start = 0): VirtualTimers {
  let now = start;
  let seq = 0;
  const armed = new Map<number, { at: number; fn: () => void }>();
  const advance = (ms: number) => {
    const until = now + Math.max(0, ms);
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of armed) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      armed.delete(next[0]);
      now = Math.max(now, next[1].at);
      next[1].fn();
    }
    // A timer that slept (a write waiting on a lock) may have moved the clock past `until`.
    now = Math.max(now, until);
  };
  return {
    now: () => now,
    sleep(ms) {
      advance(ms);
      return Promise.resolve();
    },
    after(ms, fn) {
      const id = ++seq;
      armed.set(id, { at: now + Math.max(0, ms), fn });
      return () => void armed.delete(id);
    },
    advance,
    pending: () => armed.size,
  };
}
