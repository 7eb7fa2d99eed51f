import { describe, expect, it } from 'bun:test';
import { Histogram } from './histogram.ts';

describe('Histogram', () => {
  it('gives percentiles within 2 % of the exact ones on a wide spread of latencies', () => {
    const h = new Histogram();
    const xs: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      const us = Math.round(50 * Math.exp((i % 997) / 100)); // 50 µs … ~1 s
      xs.push(us);
      h.record(us);
    }
    xs.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = xs[Math.ceil((p / 100) * xs.length) - 1]! / 1000;
      expect(Math.abs(h.percentileMs(p) - exact) / exact).toBeLessThan(0.02);
    }
    expect(h.percentileMs(100)).toBe(xs[xs.length - 1]! / 1000);
    expect(h.count).toBe(100_000);
  });

  it('is exact below 128 µs and merges by adding counts', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 100; i++) a.record(10);
    for (let i = 0; i < 100; i++) b.record(20);
    a.add(b);
    expect(a.percentileMs(50)).toBe(0.01);
    expect(a.percentileMs(51)).toBe(0.02);
    expect(new Histogram().percentileMs(50)).toBeNaN();
  });
});
