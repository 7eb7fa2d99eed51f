/** @module Latency histogram in fixed log-linear buckets (HDR-like, ~1.6 % resolution, µs to ~30 min): constant memory whatever the sample count. */

/** 64 linear sub-buckets per power of two above 128 µs; exact below. */
const SUB = 64;
const BUCKETS = 2048;

function index(us: number): number {
  const v = us < 0 ? 0 : Math.min(us | 0, 0x7fffffff);
  if (v < 2 * SUB) return v;
  const e = 31 - Math.clz32(v) - 6;
  return Math.min(BUCKETS - 1, (e << 6) + (v >>> e));
}

/** Middle of a bucket, in µs. */
function value(i: number): number {
  if (i < 2 * SUB) return i;
  const e = (i >> 6) - 1;
  const m = i - (e << 6);
  return (m << e) + ((1 << e) >> 1);
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  maxUs = 0;

  record(us: number): void {
    this.counts[index(us)]!++;
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
  }

  add(h: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += h.counts[i]!;
    this.count += h.count;
    if (h.maxUs > this.maxUs) this.maxUs = h.maxUs;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.maxUs = 0;
  }

  /** Percentile in ms (NaN when empty). */
  percentileMs(p: number): number {
    if (!this.count) return NaN;
    if (p >= 100) return this.maxUs / 1000;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(value(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }
}
