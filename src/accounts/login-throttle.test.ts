import { describe, expect, it } from 'bun:test';
import { manualClock } from '../lib/clock.ts';
import { LoginThrottle, throttleClient } from './login-throttle.ts';

/** `n` tries that fail, one after the other. */
const failures = (th: LoginThrottle, ip: string, name: string, n: number) => {
  for (let i = 0; i < n; i++) {
    const v = th.attempt(ip, name);
    if (!v.allowed) throw new Error(`try ${i + 1} refused`);
    th.fail(v.ticket);
  }
};
/** A try that succeeds. */
const success = (th: LoginThrottle, ip: string, name: string) => {
  const v = th.attempt(ip, name);
  if (!v.allowed) throw new Error('refused');
  th.succeed(v.ticket);
};

describe('LoginThrottle', () => {
  it('lets five failures for a name from one address through, then says how long to wait', () => {
    const clock = manualClock();
    const th = new LoginThrottle({ clock });
    failures(th, '1.2.3.4', 'bob', 5);
    expect(th.attempt('1.2.3.4', 'BOB')).toEqual({ allowed: false, retryAfterS: 180 });
    clock.advance(180_000);
    expect(th.attempt('1.2.3.4', 'bob').allowed).toBe(true);
  });

  it('counts a try from when it starts, so tries made at once (all waiting on the hash) cannot all pass', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    const verdicts = Array.from({ length: 60 }, () => th.attempt('1.2.3.4', 'admin'));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
    // One of them succeeds: its place is free again; the others fail and stay counted.
    const [first, ...rest] = verdicts.filter((v) => v.allowed) as { allowed: true; ticket: import('./login-throttle.ts').ThrottleTicket }[];
    th.succeed(first!.ticket);
    for (const v of rest) th.fail(v.ticket);
    expect(th.attempt('1.2.3.4', 'admin').allowed).toBe(true);
    expect(th.attempt('1.2.3.4', 'admin').allowed).toBe(false);
  });

  it('asks a client held only by tries still under way to come back in a second, not when an empty bucket would refill', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 0; i < 5; i++) expect(th.attempt('1.2.3.4', 'bob').allowed).toBe(true);
    expect(th.attempt('1.2.3.4', 'bob')).toEqual({ allowed: false, retryAfterS: 1 });
  });

  it('charges a successful try nothing, so logging in costs nothing however often, and ends a ticket once', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 0; i < 1000; i++) success(th, '1.2.3.4', 'bob');
    expect(th.size).toBe(1); // the known client; no bucket, nothing in flight
    const v = th.attempt('1.2.3.4', 'carol');
    if (!v.allowed) throw new Error('refused');
    th.fail(v.ticket);
    th.fail(v.ticket);
    th.succeed(v.ticket);
    failures(th, '1.2.3.4', 'carol', 4);
    expect(th.check('1.2.3.4', 'carol').allowed).toBe(false);
  });

  it("gives a known client's successes nothing back to the name's bucket: a flood's 100 failures stay 100", () => {
    const clock = manualClock();
    const th = new LoginThrottle({ clock });
    success(th, '203.0.113.9', 'admin');
    for (let i = 0; i < 100; i++) failures(th, `198.51.${i >> 8}.${i & 255}`, 'admin', 1);
    for (let i = 0; i < 60; i++) success(th, '203.0.113.9', 'admin');
    expect(th.check('192.0.2.1', 'admin').allowed).toBe(false);
  });

  it("does not lock a name's owner out when a stranger fails five times: another address still may try", () => {
    const th = new LoginThrottle({ clock: manualClock() });
    failures(th, '198.51.100.7', 'admin', 5);
    expect(th.check('198.51.100.7', 'admin').allowed).toBe(false);
    expect(th.check('203.0.113.9', 'admin').allowed).toBe(true);
  });

  it('holds many addresses guessing one name to 100 failures together, except an address the name logged in from', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    success(th, '203.0.113.9', 'admin');
    for (let i = 0; i < 100; i++) failures(th, `198.51.${i >> 8}.${i & 255}`, 'admin', 1);
    expect(th.check('192.0.2.1', 'admin')).toEqual({ allowed: false, retryAfterS: 9 });
    expect(th.check('203.0.113.9', 'ADMIN').allowed).toBe(true);
    expect(th.check('192.0.2.1', 'bob').allowed).toBe(true);
  });

  it('counts an IPv6 client by its /56, so one line cannot act as many clients; an IPv4-mapped one as its IPv4', () => {
    const th = new LoginThrottle({ clock: manualClock() });
    for (let i = 1; i <= 5; i++) failures(th, `2001:db8:1:2${i}::1`, 'bob', 1);
    expect(th.check('2001:db8:1:ff::1', 'bob').allowed).toBe(false);
    expect(th.check('2001:db8:1:100::1', 'bob').allowed).toBe(true);
    expect(throttleClient('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(throttleClient('::ffff:0102:0304')).toBe('1.2.3.4');
    expect(throttleClient('1.2.3.4')).toBe('1.2.3.4');
  });

  it('stays bounded under a flood of distinct addresses and names', () => {
    const th = new LoginThrottle({ clock: manualClock(), maxKeys: 1000 });
    for (let i = 0; i < 10_000; i++) failures(th, `10.0.${i >> 8}.${i & 255}`, `user${i}`, 1);
    expect(th.size).toBe(3000); // 1000 of each kind of bucket
    for (let i = 0; i < 10_000; i++) success(th, `10.1.${i >> 8}.${i & 255}`, `known${i}`);
    expect(th.size).toBe(4000);
  });

  it("keeps a drained name bucket while a flood of failures on made-up names from other addresses fills the others", () => {
    const th = new LoginThrottle({ clock: manualClock(), maxKeys: 300 });
    for (let i = 0; i < 100; i++) failures(th, `198.51.${i >> 8}.${i & 255}`, 'victim', 1);
    // 250 addresses × 1 made-up name each: 250 more name buckets would not fit beside the victim's in one shared map of 300.
    for (let i = 0; i < 250; i++) failures(th, `203.0.${i >> 8}.${i & 255}`, `madeup${i}`, 1);
    expect(th.check('192.0.2.1', 'victim').allowed).toBe(false);
  });
});
