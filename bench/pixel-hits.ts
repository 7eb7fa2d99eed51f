/** @module Benchmark: Umami `/p/:slug` hits with a realistic mix against a same-run bare Bun.serve; checks rows stored + bots = hits acknowledged. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRss, startBaseline, startFootfall } from './lib/bench-server.ts';
import { writePixelLua } from './lib/pixel-lua.ts';
import { check, line } from './lib/report.ts';
import { haveWrk, wrk } from './lib/wrk.ts';

if (!haveWrk()) {
  console.error('pixel-hits: wrk not found (apt-get install wrk)');
  process.exit(1);
}
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 64);
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
  const script = join(mkdtempSync(join(tmpdir(), 'footfall-lua-')), 'pixel.lua');
  writePixelLua(script, { slugs: SLUGS });
  const warmScript = script.replace(/\.lua$/, '-warm.lua');
  writePixelLua(warmScript, { slugs: SLUGS, seed: 987654 });

  // Warm both (JIT, UA cache), then measure them one after the other on the same machine.
  await wrk(base.url + '/', { connections: CONNS, durationS: 2, script });
  const warm = await wrk(ff.url + '/', { connections: CONNS, durationS: 3, script: warmScript });
  const b = await wrk(base.url + '/', { connections: CONNS, durationS: DURATION, script });
  const { result: f, peakMb } = await peakRss(ff.pid, wrk(ff.url + '/', { connections: CONNS, durationS: DURATION, script }));
  const end = await ff.stop();
  // The warm-up's hits are stored too. wrk stops counting at its deadline, so up to one in-flight
  // request per connection and run may be stored without being counted as answered; never fewer.
  const acked = warm.requests - warm.non2xx + f.requests - f.non2xx;
  const bots = end.drops['bot'] ?? 0;
  const accounted = end.committed + bots;
  check(end.code === 0, `footfall exit code ${end.code}`);
  check(accounted >= acked && accounted <= acked + 2 * CONNS, `stored ${end.committed} + bots ${bots} vs acknowledged ${acked}`);
  check(f.non2xx + warm.non2xx === 0, `${f.non2xx + warm.non2xx} non-2xx answers`);
  check(f.errors === 0, `${f.errors} socket errors`);
  line('pixel-hits', {
    ack: ACK, connections: CONNS, 'baseline_req/s': b.rps, 'footfall_req/s': f.rps, ratio: f.rps / b.rps,
    p50_ms: f.p50ms, p99_ms: f.p99ms, baseline_p50_ms: b.p50ms, baseline_p99_ms: b.p99ms, peak_rss_mb: peakMb,
    ua_cache_hit: end.uaCache.hits / Math.max(1, end.uaCache.hits + end.uaCache.misses),
    stored: end.committed, bots, acknowledged: acked,
  });
} finally {
  await base.stop();
}
