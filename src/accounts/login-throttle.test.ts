import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('lets five failures for a name through, then says how long to wait', () => {
    const clock = manualClock();
    const th = new LoginThrottle({ clock });
    for (let i = 0; i < 5; i++) {
      expect(th.check('1.2.3.4', 'bob').allowed).toBe(true);
      th.fail('1.2.3.4', 'bob');
    }
    const v = th.check('5.6.7.8', 'BOB');
    expect(v).toEqual({ allowed: false, retryAfterS: 180 });
    clock.advance(180_000);
    expect(th.check('5.6.7.8', 'bob').allowed).toBe(true);
  });

  it('only looks when checking: successful attempts cost nothing', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 0; i < 1000; i++) expect(th.check('1.2.3.4', 'bob').allowed).toBe(true);
    expect(th.size).toBe(0);
  });

  it('stays bounded under a flood of distinct addresses and names', () => {
    const th = new LoginThrottle({ clock: manualClock(), maxKeys: 1000 });
    for (let i = 0; i < 10_000; i++) th.fail(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
    expect(th.size).toBe(1000);
  });
});
