/**
 * @module Benchmark of the load tool itself: it must not be the bottleneck. Against a bare
 * Bun.serve it drives (a) one fixed GET, compared with wrk on the same request, and (b) the
 * realistic mix; both must stay well above Footfall's mixed figures (~20–24k req/s here).
 */
import { benchDir } from './lib/temp-dir.ts';
import { join } from 'node:path';
import { startBaseline } from './lib/bench-server.ts';
import { drive } from '../src/loadtest/load-driver.ts';
import { LOAD_DEFAULTS, runLoad } from '../src/loadtest/load-run.ts';
import { writePrismeLua } from './lib/prisme-lua.ts';
import { check, line } from './lib/report.ts';
import { haveWrk, wrk } from './lib/wrk.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const base = await startBaseline();
try {
  const host = new URL(base.url).host;
  const fixed = `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\nX-Forwarded-For: 23.4.5.6\r\n\r\n`;
  const source = { families: ['get'] as const, next: () => ({ family: 0, request: fixed }), answered() {} };
  const mix = (durationMs: number) => runLoad({ ...LOAD_DEFAULTS, target: base.url, setup: false, progress: false, durationMs, connections: CONNS, password: '', seed: 1 });
  // Warm-up, then alternate so both tools see the same machine.
  await drive({ url: base.url, connections: CONNS, durationMs: 2000, source });
  await mix(2000);
  const ours = await drive({ url: base.url, connections: CONNS, durationMs: DURATION_S * 1000, source });
  const oursMix = await mix(DURATION_S * 1000);
  let w = { rps: NaN, p99ms: NaN }, wMix = { rps: NaN, p99ms: NaN };
  if (haveWrk()) {
    w = await wrk(base.url + '/', { connections: CONNS, durationS: DURATION_S });
    const lua = join(benchDir('footfall-lua-'), 'prisme.lua');
    writePrismeLua(lua, { site: 'https://shop.example', origin: 'https://shop.example' });
    wMix = await wrk(base.url + '/', { connections: CONNS, durationS: DURATION_S, script: lua });
  }
  const oursRps = ours.requests / ours.elapsedS;
  check(ours.errors === 0 && oursMix.socketErrors === 0, `socket errors: ${ours.errors} + ${oursMix.socketErrors}`);
  check(oursMix.requests > 0 && Object.keys(oursMix.statuses).length === 4, `mix answered ${JSON.stringify(oursMix.statuses)}`);
  line('load-generator', {
    connections: CONNS, 'fixed_req/s': oursRps, 'wrk_fixed_req/s': w.rps, vs_wrk: oursRps / w.rps, 'mix_req/s': oursMix['req/s'],
    'wrk_prisme_lua_req/s': wMix.rps, mix_p99_ms: oursMix.latency_ms.p99, fixed_p99_ms: ours.latency.percentileMs(99), wrk_p99_ms: w.p99ms,
  });
} finally {
  await base.stop();
}
