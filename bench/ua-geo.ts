/** @module Microbenchmarks: UA cache hit and miss (realistic corpus), geo lookup (embedded db, 100k+ public addresses); one line each, checked. */
import { loadDefaultGeoDatabase, openGeoReader } from '../src/ingest/geo.ts';
import { createUserAgentParser, UA_CACHE_SIZE } from '../src/ingest/user-agent.ts';
import { clientAddress } from '../src/loadtest/mix.ts';
import { check, line } from './lib/report.ts';
import { rng, userAgentCorpus, zipfIndex } from '../src/loadtest/ua-corpus.ts';

const uas = userAgentCorpus(4000);
// Misses: every UA once, in a fresh cache (a parse + insert each).
const cold = createUserAgentParser({ capacity: UA_CACHE_SIZE });
let t0 = Bun.nanoseconds();
for (const u of uas) cold.parse(u);
const missNs = (Bun.nanoseconds() - t0) / uas.length;
// Hits: a Zipf-sampled stream over the now-warm cache.
const r = rng(1);
const stream = Array.from({ length: 1_000_000 }, () => uas[zipfIndex(r, uas.length)]!);
let browsers = 0;
t0 = Bun.nanoseconds();
for (const u of stream) if (cold.parse(u).browser) browsers++;
const hitNs = (Bun.nanoseconds() - t0) / stream.length;
const s = cold.stats();
check(s.misses === uas.length && s.hits === stream.length, `cache stats ${JSON.stringify(s)}`);
check(browsers === stream.length, `${stream.length - browsers} UAs without a browser`);
line('ua-cache', { 'hit_ops/s': 1e9 / hitNs, hit_ns: hitNs, 'miss_ops/s': 1e9 / missNs, miss_us: missNs / 1000, corpus: uas.length, capacity: UA_CACHE_SIZE });

const geo = openGeoReader(await loadDefaultGeoDatabase());
const ips = Array.from({ length: 200_000 }, (_, i) => clientAddress(i * 7919));
for (let i = 0; i < 20_000; i++) geo.lookup(ips[i]!); // JIT warm-up
let found = 0;
t0 = Bun.nanoseconds();
for (let round = 0; round < 3; round++) for (const ip of ips) if (geo.lookup(ip).country) found++;
const geoNs = (Bun.nanoseconds() - t0) / (3 * ips.length);
check(found > 0.9 * 3 * ips.length, `only ${found} of ${3 * ips.length} public addresses got a country`);
check(geo.lookup('8.8.8.8').country === 'US', `8.8.8.8 → ${geo.lookup('8.8.8.8').country}`);
line('geo-lookup', { 'ops/s': 1e9 / geoNs, ns: geoNs, addresses: ips.length, with_country: found / (3 * ips.length), db: geo.info.databaseType });
