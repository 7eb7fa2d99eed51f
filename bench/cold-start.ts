/**
 * @module Benchmark: dist/footfall from exec to the first 200 from /api/v1/healthcheck (fresh data dir each run), and binary size.
 * FOOTFALL_BIN times another build; BENCH_JSC_GROWTH sets the engine's heap growth step (A/B of the default).
 */
import { benchDir } from './lib/temp-dir.ts';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { check, line, percentile } from './lib/report.ts';

const BIN = process.env.FOOTFALL_BIN || resolve(import.meta.dir, '../dist/footfall');
const RUNS = Number(process.env.COLD_RUNS ?? 15);
const times: number[] = [];
const firstTimes: number[] = [];
let port = 31_000 + Math.floor(Math.random() * 5000);
// A restart of an installed service is the cold start that matters: the data dir exists. The
// very first start also creates the schema and hashes the admin password (argon2id, ~200 ms),
// so it is measured apart (every even run starts on a fresh dir).
let dir = '';

for (let i = 0; i < RUNS * 2; i++, port++) {
  const first = i % 2 === 0;
  if (first) dir = benchDir('footfall-cold-');
  const t0 = performance.now();
  const proc = Bun.spawn([BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--log-level', 'warn'], {
    stdout: 'ignore', stderr: 'ignore', env: { PATH: process.env.PATH ?? '', FOOTFALL_ADMIN_PASSWORD: 'cold-start-bench', ...(process.env.BENCH_JSC_GROWTH ? { BUN_JSC_smallHeapGrowthFactor: process.env.BENCH_JSC_GROWTH } : {}) },
  });
  let ok = false;
  while (performance.now() - t0 < 5000) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/healthcheck`);
      if (r.status === 200) {
        ok = true;
        break;
      }
    } catch {
      await Bun.sleep(1);
    }
  }
  (first ? firstTimes : times).push(performance.now() - t0);
  proc.kill('SIGTERM');
  const code = await proc.exited;
  check(ok, `run ${i}: no 200 within 5 s`);
  check(code === 0, `run ${i}: exit code ${code} after SIGTERM`);
}
times.sort((a, b) => a - b);
firstTimes.sort((a, b) => a - b);
const size = statSync(BIN).size;
line('cold-start', { runs: RUNS, restart_p50_ms: percentile(times, 50), restart_p90_ms: percentile(times, 90), restart_max_ms: times[times.length - 1]!, first_start_p50_ms: percentile(firstTimes, 50), binary_mb: size / 1048576, target_ms: 150 });
