import { describe, expect, it } from 'bun:test';
import { takeToken } from './token-bucket.ts';

const policy = { capacity: 60, periodMs: 60_000 };

describe('takeToken', () => {
  it('lets a full bucket spend its capacity at once, then refuses', () => {
    let tokens = 60;
    const now = 1_000;
    const results = Array.from({ length: 61 }, () => {
      const r = takeToken(policy, tokens, now, now);
      tokens = r.tokens;
      return r;
    });
    expect(results.slice(0, 60).every((r) => r.allowed)).toBe(true);
    expect(results[59]!.remaining).toBe(0);
    expect(results[60]!.allowed).toBe(false);
  });

  it('says to retry after the whole seconds one token needs to come back', () => {
    const r = takeToken(policy, 0, 0, 0);
    expect(r.allowed).toBe(false);
    expect(r.retryAfterS).toBe(1);
    const slow = takeToken({ capacity: 1, periodMs: 10_000 }, 0.25, 0, 0);
    expect(slow.retryAfterS).toBe(8);
  });

  it('refills continuously with elapsed time and never above capacity', () => {
    expect(takeToken(policy, 0, 0, 1_000).allowed).toBe(true); // 1 token per second
    expect(takeToken(policy, 0, 0, 500).allowed).toBe(false);
    expect(takeToken(policy, 0, 0, 10 * 60_000).remaining).toBe(59);
  });

  it('ignores a clock that went backwards', () => {
    const r = takeToken(policy, 5, 10_000, 5_000);
    expect(r.tokens).toBe(4);
  });

  it('reports when the bucket will be full again', () => {
    expect(takeToken(policy, 60, 0, 0).resetS).toBe(1);
    expect(takeToken(policy, 1, 0, 0).resetS).toBe(60);
  });
});
