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

  it('still finds every tracked key after thousands of evictions and table growths', () => {
    const l = new Limiter({ capacity: 2, periodMs: 60_000, maxKeys: 1000, clock: manualClock() });
    for (let i = 0; i < 20_000; i++) l.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(l.size).toBe(1000);
    // Never hit twice, so the hand evicted in arrival order: the last 1000 keys are the tracked ones,
    // each with one token left (found: 0 left after this take; a fresh bucket would leave 1).
    for (let i = 19_000; i < 20_000; i++) expect(l.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`).remaining).toBe(0);
    expect(l.take('10.0.73.24').remaining).toBe(1);
    expect(l.size).toBe(1000);
  });

  it('tells apart keys that differ in one character or only in order', () => {
    const l = new Limiter({ capacity: 1, periodMs: 60_000, maxKeys: 10_000, clock: manualClock() });
    const keys = ['1.2.3.4', '1.2.3.5', '4.3.2.1', '::1', '::1:0', '2001:db8::1', '2001:db8::10', ''];
    for (const k of keys) expect(l.take(k).allowed).toBe(true);
    for (const k of keys) expect(l.take(k).allowed).toBe(false);
  });
});
