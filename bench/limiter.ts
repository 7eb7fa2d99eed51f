/** @module Microbenchmark: limiter take() ops/s with 1M distinct keys, and bytes per tracked key. */
import { Limiter } from '../src/limit/limiter.ts';
import { check, line } from './lib/report.ts';

const KEYS = Number(process.env.LIMITER_KEYS ?? 1_000_000);
let now = 0;
const limiter = new Limiter({ capacity: 60, periodMs: 60_000, maxKeys: KEYS, clock: () => now });
// IPv4-looking keys, as the limiter sees them.
const keys = Array.from({ length: KEYS }, (_, i) => `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);

Bun.gc(true);
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
let t0 = performance.now();
for (let i = 0; i < KEYS; i++) limiter.take(keys[i]!);
const insertRate = KEYS / ((performance.now() - t0) / 1000);
Bun.gc(true);
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

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
line('limiter', { keys: KEYS, 'new_key_ops/s': insertRate, 'known_key_ops/s': hitRate, 'bytes/key': (after - before) / KEYS });
