import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { Limiter } from './limiter.ts';

describe('Limiter', () => {
  it('answers no to the 61st request of one key within a minute, and yes after it', () => {
    const clock = manualClock();
    const l = new Limiter({ capacity: 60, periodMs: 60_000, maxKeys: 10_000, clock });
    const ok = Array.from({ length: 100 }, () => l.take('1.2.3.4').allowed);
    expect(ok.filter(Boolean).length).toBe(60);
    expect(ok.slice(0, 60).every(Boolean)).toBe(true);
    clock.advance(60_000);
    expect(l.take('1.2.3.4').allowed).toBe(true);
  });

  it('keeps separate buckets per key', () => {
    const l = new Limiter({ capacity: 1, periodMs: 60_000, maxKeys: 10_000, clock: manualClock() });
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('b').allowed).toBe(true);
    expect(l.take('a').allowed).toBe(false);
  });

  it('never tracks more keys than its hard cap, evicting the least recently seen', () => {
    const clock = manualClock();
    const l = new Limiter({ capacity: 1, periodMs: 60_000, maxKeys: 1000, clock });
    l.take('keep');
    for (let i = 0; i < 5000; i++) {
      l.take(`k${i}`);
      if (i % 100 === 0) l.take('keep');
    }
    expect(l.size).toBe(1000);
    expect(l.evictedCap).toBeGreaterThan(3000);
    // 'keep' was touched recently, so it is still tracked and still empty.
    expect(l.take('keep').allowed).toBe(false);
  });

  it('forgets buckets idle for a whole period, since they would be full anyway', () => {
    const clock = manualClock();
    const l = new Limiter({ capacity: 5, periodMs: 1_000, maxKeys: 1000, clock });
    for (let i = 0; i < 10; i++) l.take(`idle${i}`);
    clock.advance(1_000);
    for (let i = 0; i < 10; i++) l.take('fresh');
    expect(l.size).toBe(1);
    expect(l.evictedIdle).toBe(10);
  });
});
