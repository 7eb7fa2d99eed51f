import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { LoginThrottle, throttleClient } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('lets five failures for a name from one address through, then says how long to wait', () => {
    const clock = manualClock();
    const th = new LoginThrottle({ clock });
    for (let i = 0; i < 5; i++) {
      expect(th.check('1.2.3.4', 'bob').allowed).toBe(true);
      th.fail('1.2.3.4', 'bob');
    }
    expect(th.check('1.2.3.4', 'BOB')).toEqual({ allowed: false, retryAfterS: 180 });
    clock.advance(180_000);
    expect(th.check('1.2.3.4', 'bob').allowed).toBe(true);
  });

  it("does not lock a name's owner out when a stranger fails five times: another address still may try", () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 0; i < 5; i++) th.fail('198.51.100.7', 'admin');
    expect(th.check('198.51.100.7', 'admin').allowed).toBe(false);
    expect(th.check('203.0.113.9', 'admin').allowed).toBe(true);
  });

  it('holds many addresses guessing one name to 100 failures together, except an address the name logged in from', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    th.succeed('203.0.113.9', 'admin');
    for (let i = 0; i < 100; i++) th.fail(`198.51.${i >> 8}.${i & 255}`, 'admin');
    expect(th.check('192.0.2.1', 'admin')).toEqual({ allowed: false, retryAfterS: 9 });
    expect(th.check('203.0.113.9', 'ADMIN').allowed).toBe(true);
    expect(th.check('192.0.2.1', 'bob').allowed).toBe(true);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within a network does not reset its buckets', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 1; i <= 5; i++) th.fail(`2001:db8:1:2::${i.toString(16)}`, 'bob');
    expect(th.check('2001:db8:1:2:ffff::1', 'bob').allowed).toBe(false);
    expect(th.check('2001:db8:1:3::1', 'bob').allowed).toBe(true);
    expect(throttleClient('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4');
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
    for (let i = 0; i < 10_000; i++) th.succeed(`10.1.${i >> 8}.${i & 255}`, `user${i}`);
    expect(th.size).toBe(2000);
  });
});
