/** @module Benchmark: /api/v1/healthcheck of dist/footfall against a bare Bun.serve baseline, same run, wrk at 64 connections. */
import { benchDir } from './lib/temp-dir.ts';
import { join, resolve } from 'node:path';
import { wrk, wrkScenario } from './lib/wrk.ts';
import { check, line } from './lib/report.ts';
import { freePort, waitFor } from './lib/bench-server.ts';

const { durationS: DURATION, connections: CONNS } = wrkScenario('http-health', 10);

const basePort = freePort();
const base = Bun.spawn([process.execPath, join(import.meta.dir, 'lib/baseline-server.ts'), String(basePort)], { stdout: 'ignore', stderr: 'inherit' });
const ffPort = freePort();
const ff = Bun.spawn([resolve(import.meta.dir, '../dist/footfall'), 'serve', '--host', '127.0.0.1', '--port', String(ffPort), '--data-dir', benchDir('footfall-bench-'), '--log-level', 'warn'], {
  stdout: 'ignore', stderr: 'inherit', env: { PATH: process.env.PATH ?? '', FOOTFALL_ADMIN_PASSWORD: 'bench-password-1' },
});
try {
  await waitFor(`http://127.0.0.1:${basePort}/`, base);
  await waitFor(`http://127.0.0.1:${ffPort}/api/v1/healthcheck`, ff);
  // Alternate so both see the same machine conditions; warm-up first.
  await wrk(`http://127.0.0.1:${basePort}/`, { connections: CONNS, durationS: 2 });
  await wrk(`http://127.0.0.1:${ffPort}/api/v1/healthcheck`, { connections: CONNS, durationS: 2 });
  const b = await wrk(`http://127.0.0.1:${basePort}/`, { connections: CONNS, durationS: DURATION });
  const f = await wrk(`http://127.0.0.1:${ffPort}/api/v1/healthcheck`, { connections: CONNS, durationS: DURATION });
  check(f.non2xx === 0 && f.errors === 0, `footfall answered ${f.non2xx} non-2xx and had ${f.errors} socket errors`);
  line('http-healthcheck', { connections: CONNS, 'baseline_req/s': b.rps, 'footfall_req/s': f.rps, ratio: f.rps / b.rps, p50_ms: f.p50ms, p99_ms: f.p99ms, baseline_p99_ms: b.p99ms });
} finally {
  base.kill('SIGTERM');
  ff.kill('SIGTERM');
  await Promise.all([base.exited, ff.exited]);
}
