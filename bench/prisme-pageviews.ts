/** @module Benchmark: Prisme pageview ingest with a realistic mix against a same-run bare Bun.serve; checks rows stored = rows acknowledged. */
import { benchDir } from './lib/temp-dir.ts';
import { join } from 'node:path';
import { startBaseline, startFootfall } from './lib/bench-server.ts';
import { warmedPairedWrk } from './lib/paired.ts';
import { writePrismeLua } from './lib/prisme-lua.ts';
import { check, line } from './lib/report.ts';
import { ceilingFields, cpuFields } from './lib/cpu-split.ts';
import { wrkScenario } from './lib/wrk.ts';

const { durationS: DURATION, rounds: ROUNDS, connections: CONNS } = wrkScenario('prisme-pageviews');
const ACK = process.env.BENCH_ACK ?? 'buffered';
const script = join(benchDir('footfall-lua-'), 'prisme.lua');
writePrismeLua(script, { site: 'https://shop.example', origin: 'https://shop.example' });
const warmScript = script.replace(/\.lua$/, '-warm.lua');
writePrismeLua(warmScript, { site: 'https://shop.example', origin: 'https://shop.example', seed: 987654 });
// A fresh request sequence per round: replaying one would turn its pageviews into reloads.
const roundScript = (round: number) => {
  const path = script.replace(/\.lua$/, `-round${round}.lua`);
  writePrismeLua(path, { site: 'https://shop.example', origin: 'https://shop.example', seed: 12345 + 1000 * round });
  return path;
};

const base = await startBaseline();
const ff = await startFootfall(['--origins', 'shop.example', '--trust-proxy', '--ack', ACK]);
try {
  // Warm both (JIT; for Footfall also the first parse of each of the ~4k user agents, which
  // costs ~60 µs apiece once), then measure them back to back, round after round.
  const { f, warm } = await warmedPairedWrk({
    rounds: ROUNDS, connections: CONNS, durationS: DURATION, script, warmScript, footfallScript: roundScript,
    baseline: { url: base.url + '/', pid: base.pid },
    footfall: { url: ff.url + '/api/v1/events/pageviews', pid: ff.pid },
  });
  const end = await ff.stop();
  const acked = f.requests - f.non2xx + warm.requests - warm.non2xx;
  const dupes = end.drops['duplicate-pageview'] ?? 0;
  const bots = end.drops['bot'] ?? 0;
  const accounted = end.committed + dupes;
  // wrk stops counting at the deadline, so up to one in-flight request per connection may be
  // stored without being counted as answered; never the other way round.
  check(end.code === 0, `footfall exit code ${end.code}`);
  check(accounted >= acked && accounted <= acked + (ROUNDS + 1) * CONNS, `stored ${end.committed} + reloads ${dupes} vs acknowledged ${acked}`);
  check(f.errors === 0, `${f.errors} socket errors`);
  const hitRate = end.uaCache.hits / Math.max(1, end.uaCache.hits + end.uaCache.misses);
  line('prisme-pageviews', {
    ack: ACK, connections: CONNS, rounds: ROUNDS, 'baseline_req/s': f.baselineRps, 'footfall_req/s': f.footfallRps, ratio: f.ratio,
    ratios: f.ratios.map((r) => r.toFixed(2)).join('/'), 'events/s': (f.requests - f.non2xx) / (ROUNDS * DURATION),
    p50_ms: f.p50ms, p99_ms: f.p99ms, peak_rss_mb: f.peakMb,
    ua_cache_hit: hitRate, stored: end.committed, reloads: dupes, non2xx: f.non2xx, bots, acknowledged: acked,
    ...cpuFields(f.cpu), ...cpuFields(f.baselineCpu, 'baseline_'), ...ceilingFields(f.cpu, f.baselineCpu, f.baselineRps), target_ratio: 0.35,
  });
} finally {
  await base.stop();
}
