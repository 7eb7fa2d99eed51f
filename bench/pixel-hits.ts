/** @module Benchmark: Umami `/p/:slug` hits with a realistic mix against a same-run bare Bun.serve; checks rows stored + bots = hits acknowledged. */
import { benchDir } from './lib/temp-dir.ts';
import { join } from 'node:path';
import { startBaseline, startFootfall } from './lib/bench-server.ts';
import { warmedPairedWrk } from './lib/paired.ts';
import { writePixelLua } from './lib/pixel-lua.ts';
import { check, line } from './lib/report.ts';
import { ceilingFields, cpuFields } from './lib/cpu-split.ts';
import { wrkScenario } from './lib/wrk.ts';

const { durationS: DURATION, rounds: ROUNDS, connections: CONNS } = wrkScenario('pixel-hits');
const ACK = process.env.BENCH_ACK ?? 'buffered';
const SLUGS = ['newsletter-nov', 'newsletter-dec', 'launch-mail', 'weekly-digest', 'receipt-open'];

const base = await startBaseline();
const ff = await startFootfall(['--trust-proxy', '--ack', ACK]);
try {
  // The pixels are made the way an operator would: log in as the bootstrap admin, POST /api/pixels.
  const login = await fetch(ff.url + '/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }) });
  const { token } = (await login.json()) as { token: string };
  for (const slug of SLUGS) {
    const r = await fetch(ff.url + '/api/pixels', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ name: slug, slug }) });
    check(r.status === 200, `create pixel ${slug}: ${r.status}`);
  }
  const script = join(benchDir('footfall-lua-'), 'pixel.lua');
  writePixelLua(script, { slugs: SLUGS });
  const warmScript = script.replace(/\.lua$/, '-warm.lua');
  writePixelLua(warmScript, { slugs: SLUGS, seed: 987654 });

  // Warm both (JIT, UA cache), then measure them back to back, round after round.
  const { f, warm } = await warmedPairedWrk({
    rounds: ROUNDS, connections: CONNS, durationS: DURATION, script, warmScript,
    baseline: { url: base.url + '/', pid: base.pid },
    footfall: { url: ff.url + '/', pid: ff.pid },
  });
  const end = await ff.stop();
  // The warm-up's hits are stored too. wrk stops counting at its deadline, so up to one in-flight
  // request per connection and run may be stored without being counted as answered; never fewer.
  const acked = warm.requests - warm.non2xx + f.requests - f.non2xx;
  const bots = end.drops['bot'] ?? 0;
  const accounted = end.committed + bots;
  check(end.code === 0, `footfall exit code ${end.code}`);
  check(accounted >= acked && accounted <= acked + (ROUNDS + 1) * CONNS, `stored ${end.committed} + bots ${bots} vs acknowledged ${acked}`);
  check(f.non2xx + warm.non2xx === 0, `${f.non2xx + warm.non2xx} non-2xx answers`);
  check(f.errors === 0, `${f.errors} socket errors`);
  line('pixel-hits', {
    ack: ACK, connections: CONNS, rounds: ROUNDS, 'baseline_req/s': f.baselineRps, 'footfall_req/s': f.footfallRps, ratio: f.ratio,
    ratios: f.ratios.map((r) => r.toFixed(2)).join('/'),
    p50_ms: f.p50ms, p99_ms: f.p99ms, baseline_p50_ms: f.baselineP50ms, baseline_p99_ms: f.baselineP99ms, peak_rss_mb: f.peakMb,
    ua_cache_hit: end.pixelUaCache.hits / Math.max(1, end.pixelUaCache.hits + end.pixelUaCache.misses), // the writer thread's
    stored: end.committed, bots, acknowledged: acked,
    ...cpuFields(f.cpu), ...cpuFields(f.baselineCpu, 'baseline_'), ...ceilingFields(f.cpu, f.baselineCpu, f.baselineRps), target_ratio: 0.4,
  });
} finally {
  await base.stop();
}
