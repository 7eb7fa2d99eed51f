/** @module Benchmark: Prisme pageview ingest with a realistic mix against a same-run bare Bun.serve; checks rows stored = rows acknowledged. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRss, startBaseline, startFootfall } from './lib/bench-server.ts';
import { writePrismeLua } from './lib/prisme-lua.ts';
import { check, line } from './lib/report.ts';
import { haveWrk, wrk } from './lib/wrk.ts';

if (!haveWrk()) {
  console.error('prisme-pageviews: wrk not found (apt-get install wrk)');
  process.exit(1);
}
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const ACK = process.env.BENCH_ACK ?? 'buffered';
const script = join(mkdtempSync(join(tmpdir(), 'footfall-lua-')), 'prisme.lua');
writePrismeLua(script, { site: 'https://shop.example', origin: 'https://shop.example' });
const warmScript = script.replace(/\.lua$/, '-warm.lua');
writePrismeLua(warmScript, { site: 'https://shop.example', origin: 'https://shop.example', seed: 987654 });

const base = await startBaseline();
const ff = await startFootfall(['--origins', 'shop.example', '--trust-proxy', '--ack', ACK]);
try {
  // Warm both (JIT; for Footfall also the first parse of each of the ~4k user agents, which
  // costs ~60 µs apiece once), then measure them one after the other on the same machine.
  await wrk(base.url + '/', { connections: CONNS, durationS: 2, script });
  const warm = await wrk(ff.url + '/api/v1/events/pageviews', { connections: CONNS, durationS: 3, script: warmScript });
  const b = await wrk(base.url + '/', { connections: CONNS, durationS: DURATION, script });
  const { result: f, peakMb } = await peakRss(ff.pid, wrk(ff.url + '/api/v1/events/pageviews', { connections: CONNS, durationS: DURATION, script }));
  const end = await ff.stop();
  const acked = f.requests - f.non2xx + warm.requests - warm.non2xx;
  const dupes = end.drops['duplicate-pageview'] ?? 0;
  const bots = end.drops['bot'] ?? 0;
  const accounted = end.committed + dupes;
  // wrk stops counting at the deadline, so up to one in-flight request per connection may be
  // stored without being counted as answered; never the other way round.
  check(end.code === 0, `footfall exit code ${end.code}`);
  check(accounted >= acked && accounted <= acked + 2 * CONNS, `stored ${end.committed} + reloads ${dupes} vs acknowledged ${acked}`);
  check(f.errors === 0, `${f.errors} socket errors`);
  const hitRate = end.uaCache.hits / Math.max(1, end.uaCache.hits + end.uaCache.misses);
  line('prisme-pageviews', {
    ack: ACK, connections: CONNS, 'baseline_req/s': b.rps, 'footfall_req/s': f.rps, ratio: f.rps / b.rps,
    'events/s': (f.requests - f.non2xx) / DURATION, p50_ms: f.p50ms, p99_ms: f.p99ms, peak_rss_mb: peakMb,
    ua_cache_hit: hitRate, stored: end.committed, reloads: dupes, non2xx: f.non2xx, bots, acknowledged: acked,
  });
} finally {
  await base.stop();
}
