/** @module Benchmark: RudderStack pixel hits, single /v1/track calls and /v1/batch (100 messages) against a same-run bare Bun.serve; checks rows stored = messages acknowledged. */
import { benchDir } from './lib/temp-dir.ts';
import { join } from 'node:path';
import { adminSession, createWebsite } from './lib/admin-api.ts';
import { startBaseline, startFootfall, type FootfallRun } from './lib/bench-server.ts';
import { warmedPairedWrk } from './lib/paired.ts';
import { check, line } from './lib/report.ts';
import { ceilingFields, cpuFields } from './lib/cpu-split.ts';
import { writeRudderBatchLua, writeRudderPixelLua, writeRudderTrackLua } from './lib/rudder-lua.ts';
import { wrk, wrkScenario } from './lib/wrk.ts';

const { durationS: DURATION, rounds: ROUNDS, connections: CONNS } = wrkScenario('rudder');
const BATCH = 100;
const dir = benchDir('footfall-lua-');

const base = await startBaseline();

/**
 * Warms both servers up, measures them in paired rounds, stops Footfall and checks that it stored
 * what it acknowledged: up to one request per connection and run may be stored after wrk stopped
 * counting.
 */
async function measure(ff: FootfallRun, script: string, warmScript: string) {
  const { f, warm } = await warmedPairedWrk({
    rounds: ROUNDS, connections: CONNS, durationS: DURATION, script, warmScript,
    baseline: { url: base.url + '/', pid: base.pid },
    footfall: { url: ff.url + '/', pid: ff.pid },
  });
  const end = await ff.stop();
  const acked = f.requests - f.non2xx + warm.requests - warm.non2xx;
  check(end.code === 0, `exit ${end.code}`);
  check(end.committed >= acked && end.committed <= acked + (ROUNDS + 1) * CONNS, `stored ${end.committed} vs acknowledged ${acked}`);
  return { f, end, acked, non2xx: f.non2xx + warm.non2xx };
}

try {
  // Pixel hits.
  let ff = await startFootfall(['--trust-proxy', '--rate-limit', 'off']);
  const { auth } = await adminSession(ff.url);
  const site = await createWebsite(ff.url, auth, 'shop.example');
  const pixelLua = join(dir, 'pixel.lua');
  writeRudderPixelLua(pixelLua, { writeKey: site.writeKey, site: 'https://shop.example' });
  const warmLua = join(dir, 'pixel-warm.lua');
  writeRudderPixelLua(warmLua, { writeKey: site.writeKey, site: 'https://shop.example', seed: 987654 });
  const { f, end: pixelEnd, acked } = await measure(ff, pixelLua, warmLua);
  let end = pixelEnd;
  line('rudder-pixel', {
    connections: CONNS, rounds: ROUNDS, 'baseline_req/s': f.baselineRps, 'footfall_req/s': f.footfallRps, ratio: f.ratio,
    ratios: f.ratios.map((r) => r.toFixed(2)).join('/'), 'events/s': (f.requests - f.non2xx) / (ROUNDS * DURATION),
    p50_ms: f.p50ms, p99_ms: f.p99ms, baseline_p99_ms: f.baselineP99ms, peak_rss_mb: f.peakMb, stored: end.committed, acknowledged: acked, target_ratio: 0.4,
    ...cpuFields(f.cpu), ...cpuFields(f.baselineCpu, 'baseline_'), ...ceilingFields(f.cpu, f.baselineCpu, f.baselineRps),
  });

  // Single /v1/track calls (a JSON body each, as the browser SDK sends one), on a fresh data dir.
  ff = await startFootfall(['--rate-limit', 'off']);
  const s1 = await createWebsite(ff.url, (await adminSession(ff.url)).auth, 'shop.example');
  const trackLua = join(dir, 'track.lua');
  writeRudderTrackLua(trackLua, { writeKey: s1.writeKey });
  const { f: t, end: trackEnd, acked: trackAcked, non2xx: trackNon2xx } = await measure(ff, trackLua, trackLua);
  end = trackEnd;
  check(trackNon2xx === 0, `${trackNon2xx} /v1/track answers not 200`);
  line('rudder-track', {
    connections: CONNS, rounds: ROUNDS, 'baseline_req/s': t.baselineRps, 'footfall_req/s': t.footfallRps, ratio: t.ratio,
    ratios: t.ratios.map((r) => r.toFixed(2)).join('/'), p50_ms: t.p50ms, p99_ms: t.p99ms, baseline_p99_ms: t.baselineP99ms, peak_rss_mb: t.peakMb,
    stored: end.committed, acknowledged: trackAcked, ...cpuFields(t.cpu), ...cpuFields(t.baselineCpu, 'baseline_'), ...ceilingFields(t.cpu, t.baselineCpu, t.baselineRps),
  });

  // /v1/batch with 100 messages per request, on a fresh data dir.
  ff = await startFootfall(['--rate-limit', 'off']);
  const s2 = await createWebsite(ff.url, (await adminSession(ff.url)).auth, 'shop.example');
  const batchLua = join(dir, 'batch.lua');
  writeRudderBatchLua(batchLua, { writeKey: s2.writeKey, size: BATCH });
  const conns = 16;
  const r = await wrk(ff.url + '/v1/batch', { connections: conns, durationS: 2 * DURATION, script: batchLua });
  end = await ff.stop();
  const ackedMsgs = (r.requests - r.non2xx) * BATCH;
  // A 503 (buffer full, Retry-After) is backpressure, not loss: it is reported, and only
  // acknowledged batches must be stored.
  check(end.committed >= ackedMsgs && end.committed <= ackedMsgs + conns * BATCH, `stored ${end.committed} vs acknowledged ${ackedMsgs}`);
  line('rudder-batch', { batch: BATCH, connections: conns, 'req/s': r.rps, 'messages/s': ((r.requests - r.non2xx) * BATCH) / (2 * DURATION), rejected_503: r.non2xx, p50_ms: r.p50ms, p99_ms: r.p99ms, stored: end.committed, acknowledged: ackedMsgs });
} finally {
  await base.stop();
}
