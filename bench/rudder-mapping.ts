/** @module Microbenchmark: one AMP-SDK pixel query → message (mapping + server fields), N times; prints one line. */
import { addServerFields, pixelQueryToMessage } from '../src/ingest/rudder-message.ts';

// The seed's sample page call, filled with the values an AMP page on a phone would send.
const e = encodeURIComponent;
const QUERY = [
  'writeKey=2Bq3nHkTyXpW8vLmZr5sJd4QaCe', 'context.library.name=Rudderstack AMP SDK',
  'context.library.version=1.0.0', 'context.platform=AMP', 'anonymousId=amp-Yx7Jk2Qw9LmN4pRt6vBs1A',
  'context.locale=fr-FR', `context.userAgent=${e('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1')}`,
  'context.page.path=%2Fblog%2Fhello-world', `context.page.url=${e('https://www.example.com/blog/hello-world?utm_source=newsletter')}`,
  `context.page.referrer=${e('https://www.google.com/')}`, 'context.page.title=Hello%2C%20world%20%E2%80%94%20Example',
  'context.screen.width=390', 'context.screen.height=844', 'properties.path=%2Fblog%2Fhello-world',
  `properties.url=${e('https://www.example.com/blog/hello-world?utm_source=newsletter')}`,
  `properties.referrer=${e('https://www.google.com/')}`, 'properties.title=Hello%2C%20world%20%E2%80%94%20Example',
  'name=Hello%20world',
].join('&');

const N = Number(process.argv[2] ?? 200_000);
const now = Date.UTC(2026, 0, 2, 3, 4, 5, 600);
let last: unknown;
for (let i = 0; i < 2_000; i++) pixelQueryToMessage(QUERY, 'page', now); // warm up the JIT
const t0 = Bun.nanoseconds();
for (let i = 0; i < N; i++) {
  const r = pixelQueryToMessage(QUERY, 'page', now);
  if ('message' in r) addServerFields(r.message, { nowMs: now, requestIp: '203.0.113.0', messageIdFactory: () => 'm' });
  last = r;
}
const ns = (Bun.nanoseconds() - t0) / N;
const title = (last as { message?: { context?: { page?: { title?: unknown } } } }).message?.context?.page?.title;
console.log(`rudder-mapping ops/s=${Math.round(1e9 / ns)} ns/op=${Math.round(ns)}`);
if (title !== 'Hello, world — Example') {
  console.error(`wrong mapping: context.page.title = ${JSON.stringify(title)}`);
  process.exit(1);
}
// The whole result, key order included, as the straightforward implementation (before the
// fast paths, commit 27dde56) produced it: SHA-256 of its JSON text (1043 characters).
const EXPECTED_SHA256 = 'a919aa4d75fa43a224399173635939c039ccf420b677d6d06d08d09ef12e507a';
const got = new Bun.CryptoHasher('sha256').update(JSON.stringify(last)).digest('hex');
if (got !== EXPECTED_SHA256) {
  console.error(`wrong mapping: ${JSON.stringify(last)}`);
  process.exit(1);
}
