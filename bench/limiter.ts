/** @module Microbenchmark: limiter take() ops/s with 1M distinct keys, and bytes per tracked key. */
import { heapStats } from 'bun:jsc';
import { Limiter } from '../src/limit/limiter.ts';
import { check, line } from './lib/report.ts';

const KEYS = Number(process.env.LIMITER_KEYS ?? 1_000_000);
let now = 0;
const limiter = new Limiter({ capacity: 60, periodMs: 60_000, maxKeys: KEYS, clock: () => now });
// IPv4-looking keys, as the limiter sees them.
const keys = Array.from({ length: KEYS }, (_, i) => `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
// Template literals make rope strings; reading one flattens it (smaller). Flatten them all now,
// or the first take() of each would shrink the heap and hide what the limiter holds.
for (const k of keys) k.charCodeAt(0);

/** JS heap plus the memory outside it that JS objects own (the limiter's typed arrays). */
const held = () => {
  Bun.gc(true);
  return process.memoryUsage().heapUsed + heapStats().extraMemorySize;
};
const before = held();
let t0 = performance.now();
for (let i = 0; i < KEYS; i++) limiter.take(keys[i]!);
const insertRate = KEYS / ((performance.now() - t0) / 1000);
const after = held();

// Second pass: every key known (the steady state), time moving so some refill happens.
t0 = performance.now();
let allowed = 0;
for (let i = 0; i < KEYS; i++) {
  now += 0.01;
  if (limiter.take(keys[i]!).allowed) allowed++;
}
const hitRate = KEYS / ((performance.now() - t0) / 1000);
check(limiter.size === KEYS, `tracked ${limiter.size} keys, expected ${KEYS}`);
check(allowed === KEYS, `second take allowed ${allowed} of ${KEYS}`);
const bytesPerKey = (after - before) / KEYS;
// Typed arrays of ~29 B per slot plus a table of 4 B per position, at most half full.
check(bytesPerKey > 20 && bytesPerKey < 100, `${bytesPerKey.toFixed(1)} bytes per key is not what the limiter's arrays hold`);
line('limiter', { keys: KEYS, 'new_key_ops/s': insertRate, 'known_key_ops/s': hitRate, 'bytes/key': bytesPerKey });
