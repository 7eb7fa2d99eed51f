/**
 * @module Benchmark: memory under hostile headers. Headers and request lines may be 512 KiB (as
 * rudder-server's), and a cache that keeps a short cut of one (a write key, a user agent) used to
 * keep all of it: JSC's slice is a view (src/lib/detach.ts). Three floods of 3,000 requests,
 * 8 at a time, each with ~400 KiB that nothing should keep:
 * - RudderStack pixel hits with 3,000 unknown write keys and a 400 KiB query (no website needed);
 * - Prisme pageviews with 3,000 distinct 400 KiB User-Agent headers (each a new device and session);
 * - Umami pixel hits with 3,000 distinct 400 KiB User-Agent headers (parsed on the writer thread).
 * The binary before 9d357e8 held 3.65 GB 3 s after the three (this one ~110 MB).
 * Checks: RSS 3 s after the floods ≤ 200 MB, and every Prisme and Umami hit acknowledged is stored.
 *   bun bench/long-headers.ts
 */
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { adminSession } from './lib/admin-api.ts';
import { rssMb, rssPhases, startFootfall } from './lib/bench-server.ts';
import { check, line } from './lib/report.ts';

const N = 3000;
const BIG = 400 * 1024;
const AFTER_BOUND_MB = 200;

const ff = await startFootfall(['--trust-proxy', '--rate-limit', 'off', '--origins', 'site.example']);
const { auth } = await adminSession(ff.url);
const slug = 'hostile-headers';
const made = await fetch(`${ff.url}/api/pixels`, { method: 'POST', headers: auth, body: JSON.stringify({ name: slug, slug }) });
check(made.status === 200, `create pixel: ${made.status}`);

/** ~400 KiB that differ per request (so no two are the same cache key). */
const pad = (i: number) => `${i}-`.padEnd(BIG, 'x');
const rss = () => rssMb(ff.pid);

async function flood(send: (i: number) => Promise<Response>): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < N) {
      const r = await send(next++).catch(() => null);
      statuses[r?.status ?? 0] = (statuses[r?.status ?? 0] ?? 0) + 1;
      await r?.arrayBuffer();
    }
  }));
  return statuses;
}

const ua = (i: number) => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.${i}.1 Safari/537.36 ${pad(i)}`;
const phases = rssPhases(ff.pid);
const before = rss();
phases.phase('load');
const started = performance.now();
const rudder = await flood((i) => fetch(`${ff.url}/pixel/v1/page?writeKey=wk${String(i).padStart(20, '0')}&anonymousId=a&pad=${pad(i)}`));
const prisme = await flood((i) => fetch(`${ff.url}/api/v1/events/pageviews`, {
  method: 'POST',
  headers: { origin: 'https://site.example', 'x-prisme-referrer': 'https://site.example/', 'x-forwarded-for': `100.64.${i >> 8}.${i & 255}`, 'user-agent': ua(i) },
}));
const umami = await flood((i) => fetch(`${ff.url}/p/${slug}`, { headers: { 'x-forwarded-for': `100.65.${i >> 8}.${i & 255}`, 'user-agent': ua(i) } }));
const seconds = (performance.now() - started) / 1000;
await Bun.sleep(3000);
const after = rss();
const peak = phases.stop().load ?? NaN;
const end = await ff.stop();
const db = new Database(join(ff.dataDir, 'footfall.db'), { readonly: true });
const stored = (db.query('SELECT count(*) AS n FROM events').get() as { n: number }).n;
db.close();
const acked = (prisme[200] ?? 0) + (umami[200] ?? 0);
const refusedUmami = end.drops['buffer-full'] ?? 0;
check(end.code === 0, `footfall exit code ${end.code}`);
check(rudder[200] === N, `RudderStack pixel statuses ${JSON.stringify(rudder)}`);
check(acked + (prisme[503] ?? 0) === 2 * N, `Prisme ${JSON.stringify(prisme)}, Umami ${JSON.stringify(umami)}`);
// Umami hits are answered with the GIF even when the buffer is full (counted as buffer-full).
check(stored + refusedUmami === acked, `stored ${stored} + buffer-full ${refusedUmami} vs acknowledged ${acked}`);
check(after <= AFTER_BOUND_MB, `RSS after the floods ${after.toFixed(0)} MB over ${AFTER_BOUND_MB}`);
line('long-headers', {
  requests: 3 * N, header_kib: BIG / 1024, seconds, rss_before_mb: before, peak_rss_mb: peak, rss_after_mb: after, target_after_mb: AFTER_BOUND_MB,
  stored, buffer_full: refusedUmami, met: after <= AFTER_BOUND_MB ? 'yes' : 'no',
});
