/**
 * @module What it costs to ask another thread and wait for its answer in Bun (Worker postMessage
 * both ways), the price a second request thread would pay for state one thread owns (a Prisme
 * device's sessions) on every request that lands on the other: CPU µs per round trip (both
 * threads) at 1, 16 and 256 questions in flight. One line; checks every question was answered once.
 *   bun bench/thread-handoff.ts
 */
import { check, line } from './lib/report.ts';

const ROUND_TRIPS = Number(process.env.HANDOFF_ROUND_TRIPS ?? 100_000);
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The question a request thread would send: what a pageview's session step needs. */
const question = (id: number) => ({ id, device: 4_503_599_627_370_495 - id, path: '/pricing', href: 'https://shop.example/pricing?utm_source=news', referrer: 'https://shop.example/', userAgent: UA, visitorId: null, isBot: false });

async function roundTrips(worker: Worker, inFlight: number): Promise<{ perSecond: number; cpuUs: number; answered: number; duplicates: number }> {
  const seen = new Uint8Array(ROUND_TRIPS);
  let sent = 0;
  let answered = 0;
  let duplicates = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await new Promise<void>((done) => {
    worker.onmessage = (e: MessageEvent<{ id: number }>) => {
      if (seen[e.data.id]!++) duplicates++;
      if (++answered === ROUND_TRIPS) return done();
      if (sent < ROUND_TRIPS) worker.postMessage(question(sent++));
    };
    while (sent < Math.min(inFlight, ROUND_TRIPS)) worker.postMessage(question(sent++));
  });
  const cpu = process.cpuUsage(c0);
  return { perSecond: ROUND_TRIPS / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / ROUND_TRIPS, answered: seen.reduce((a, v) => a + (v > 0 ? 1 : 0), 0), duplicates };
}

const worker = new Worker(new URL('./lib/handoff-worker.ts', import.meta.url).href);
try {
  await roundTrips(worker, 16); // warm both threads' JIT
  const figures: Record<string, number> = {};
  for (const n of [1, 16, 256]) {
    const r = await roundTrips(worker, n);
    check(r.answered === ROUND_TRIPS && r.duplicates === 0, `in flight ${n}: ${r.answered} of ${ROUND_TRIPS} answered, ${r.duplicates} twice`);
    figures[`in_flight_${n}_cpu_us`] = r.cpuUs;
    figures[`in_flight_${n}_per_s`] = r.perSecond;
  }
  line('thread-handoff', { round_trips: ROUND_TRIPS, ...figures });
} finally {
  worker.terminate();
}
