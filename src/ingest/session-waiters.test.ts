import { describe, expect, it } from 'bun:test';
import { SessionWaiters } from './session-waiters.ts';

describe('events waiting for their page’s session', () => {
  it('answers a wait on any of its keys once, with what the first wake brings', async () => {
    const w = new SessionWaiters<string>(10, 1 << 20);
    const got = w.wait(() => ['dev\0/a', 'dev\0/'], 10_000, () => 0);
    expect(w.count).toBe(1);
    w.wake('dev\0/', 'root');
    w.wake('dev\0/a', 'page');
    expect(await got).toBe('root');
    expect([w.count, w.bytes]).toEqual([0, 0]);
  });

  it('answers null after the timeout, and at once when closed', async () => {
    const w = new SessionWaiters<string>(10, 1 << 20);
    expect(await w.wait(() => ['k'], 5, () => 0)).toBeNull();
    const pending = w.wait(() => ['k'], 10_000, () => 0);
    w.close();
    expect(await pending).toBeNull();
    expect(await w.wait(() => ['k'], 10_000, () => 0)).toBeNull();
    expect(w.count).toBe(0);
  });

  it('refuses a wait past the count or the bytes, but lets one wait alone whatever it holds', async () => {
    const byCount = new SessionWaiters<string>(1, 1 << 20);
    const first = byCount.wait(() => ['a'], 10_000, () => 0);
    expect(await byCount.wait(() => ['b'], 10_000, () => 0)).toBeNull();
    byCount.close();
    expect(await first).toBeNull();

    const byBytes = new SessionWaiters<string>(10, 2048);
    const big = byBytes.wait(() => ['a'], 10_000, () => 1 << 20);
    expect(byBytes.bytes).toBeGreaterThan(1 << 20);
    expect(await byBytes.wait(() => ['b'], 10_000, () => 0)).toBeNull();
    byBytes.wake('a', 'ok');
    expect(await big).toBe('ok');
    const small = byBytes.wait(() => ['b'], 10_000, () => 100);
    byBytes.wake('b', 'ok');
    expect(await small).toBe('ok');
  });
});
