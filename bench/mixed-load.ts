/**
 * @module The standard suite's load scenarios (issue 7), one comparable line each, against a
 * same-run bare Bun.serve driven by the same generator and mix:
 *   buffered   mixed workload, --ack buffered (target ≥ 50 % of baseline, p99 ≤ 10 ms)
 *   durable    mixed workload, --ack durable (target ≥ 35 %)
 *   filled     mixed workload on an empty and on a 10M-event database, in paired rounds (target ≥ 90 % of empty)
 *   addresses  1M distinct client addresses (limiter, sessions under pressure; RSS ≤ 150 MB
 *              throughout, the export read-back included);
 *              checks that RSS plateaus (BENCH_MAX_SESSIONS / BENCH_LIMITER_KEYS explore the trade-off)
 * BENCH_JSC_RAM / BENCH_JSC_GROWTH set the engine's heap options for any scenario (A/B of the defaults).
 * Every scenario checks that the events read back through the exports equal the events
 * acknowledged, and that nothing but 2xx was answered.
 *   bun bench/mixed-load.ts buffered|durable|filled|addresses
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssPhases, startBaseline, startFootfall, type FootfallRun } from './lib/bench-server.ts';
import { fillEvents, storedRows } from './lib/fill-events.ts';
import { LOAD_DEFAULTS, runLoad, type LoadOptions, type LoadReport } from '../src/loadtest/load-run.ts';
import { DEFAULT_MIX, type Family } from '../src/loadtest/mix.ts';
import { check, line } from './lib/report.ts';
import { ceilingFields, cpuFields, cpuMeter, type CpuSplit } from './lib/cpu-split.ts';

const SCENARIO = process.argv[2] ?? 'buffered';
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PASSWORD = 'bench-admin-password';
/** Kept between suite runs (it takes ~100 s to fill); made from scratch when missing or short. */
const FILLED_DIR = process.env.BENCH_FILLED_DIR ?? join(tmpdir(), 'footfall-bench-filled-10m');
const FILLED_ROWS = Number(process.env.BENCH_FILLED_ROWS ?? 10_000_000);
/** Paired empty/full rounds of the filled scenario (median reported). */
const FILLED_ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_FILLED_ROUNDS ?? 5)) || 1);
const ADDRESSES = Number(process.env.BENCH_ADDRESSES ?? 1_000_000);
/** Scenario 4 knobs for exploring the trade-off (default: the binary's own defaults). */
const MAX_SESSIONS = process.env.BENCH_MAX_SESSIONS;
const JSC_RAM = process.env.BENCH_JSC_RAM;
const JSC_GROWTH = process.env.BENCH_JSC_GROWTH;
const LIMITER_KEYS = process.env.BENCH_LIMITER_KEYS;
/** Engine settings for every scenario's Footfall (unset: the ones `serve` picks itself). */
const HEAP_ENV: Record<string, string> = { ...(JSC_RAM ? { BUN_JSC_forceRAMSize: JSC_RAM } : {}), ...(JSC_GROWTH ? { BUN_JSC_smallHeapGrowthFactor: JSC_GROWTH } : {}) };

const opts = (target: string, o: Partial<LoadOptions> = {}): LoadOptions => ({
  ...LOAD_DEFAULTS, target, durationMs: DURATION_MS, connections: CONNS, password: PASSWORD, seed: 12345, progress: false, ...o,
});

const non2xx = (r: LoadReport) => Object.values(r.statuses).reduce((a, m) => a + Object.entries(m).reduce((b, [s, n]) => b + (s.startsWith('2') ? 0 : n), 0), 0);

type Meter = ReturnType<typeof cpuMeter>;
type Stopped = ReturnType<Meter['stop']>;

/**
 * Warm (JIT; Footfall's UA and URL caches) with another seed, then measure the baseline and
 * Footfall one after the other. CPU is counted over the load alone (not the set-up or the export
 * read-back); the load tool runs in this process, so its CPU is this process's.
 */
async function measure(ff: FootfallRun, base: { url: string; pid: number }, o: Partial<LoadOptions>): Promise<{ b: LoadReport; f: LoadReport; peakMb: number; cpu: CpuSplit; baselineCpu: CpuSplit }> {
  await runLoad(opts(base.url, { ...o, setup: false, durationMs: 2000, maxVisitors: undefined }));
  await runLoad(opts(ff.url, { ...o, durationMs: 3000, seed: 987654, maxVisitors: undefined }));
  let meter: Meter | undefined;
  let stopped: Stopped | undefined;
  const b = await runLoad(opts(base.url, { ...o, setup: false, beforeDrive: () => (meter = cpuMeter(base.pid, true)), afterDrive: () => (stopped = meter!.stop()) }));
  const baselineCpu = stopped!.split(b.requests);
  // Peak RSS of the load itself; the export read-back that follows is not part of it.
  const rss = rssPhases(ff.pid);
  rss.phase('load');
  const f = await runLoad(opts(ff.url, {
    ...o, ackCheck: true,
    beforeDrive: () => (meter = cpuMeter(ff.pid, true)),
    afterDrive: () => ((stopped = meter!.stop()), rss.phase('export')),
  }));
  return { b, f, peakMb: rss.stop().load ?? NaN, cpu: stopped!.split(f.requests), baselineCpu };
}

/** What every measured run must show: each acknowledged event stored, no socket error, nothing but 2xx. */
function checkRun(f: LoadReport): void {
  check(f.ackCheck?.ok === true, `stored ${f.ackCheck?.stored} vs acknowledged ${f.ackCheck?.acknowledged}`);
  check(f.socketErrors === 0, `${f.socketErrors} socket errors: ${f.errorSamples.join('; ')}`);
  check(non2xx(f) === 0, `non-2xx answers: ${JSON.stringify(f.statuses)}`);
}

/** Stops a server and checks its exit and that no run replayed a visitor (reloads store nothing). */
async function stopAndCheck(ff: FootfallRun): Promise<Record<string, number>> {
  const end = await ff.stop();
  check(end.code === 0, `footfall exit code ${end.code}`);
  check((end.drops['duplicate-pageview'] ?? 0) === 0, `the workload made reloads: ${JSON.stringify(end.drops)}`);
  return end.drops;
}

const figures = (b: LoadReport, f: LoadReport, peakMb: number) => ({
  connections: CONNS, 'baseline_req/s': b['req/s'], 'footfall_req/s': f['req/s'], ratio: f['req/s'] / b['req/s'], 'events/s': f['events/s'],
  p50_ms: f.latency_ms.p50, p99_ms: f.latency_ms.p99, max_ms: f.latency_ms.max, baseline_p99_ms: b.latency_ms.p99, peak_rss_mb: peakMb,
  stored: f.ackCheck?.stored ?? -1, acknowledged: f.ackCheck?.acknowledged ?? -1,
});

const base = await startBaseline();
try {
  if (SCENARIO === 'buffered' || SCENARIO === 'durable') {
    const ff = await startFootfall(['--trust-proxy', '--ack', SCENARIO], HEAP_ENV);
    const { b, f, peakMb, cpu, baselineCpu } = await measure(ff, base, {});
    checkRun(f);
    await stopAndCheck(ff);
    const target = SCENARIO === 'buffered' ? 0.5 : 0.35;
    const fig = { ...figures(b, f, peakMb), ...cpuFields(cpu), ...cpuFields(baselineCpu, 'baseline_'), ...ceilingFields(cpu, baselineCpu, b['req/s']) };
    line(`mixed-${SCENARIO}`, { ...fig, jsc_growth: JSC_GROWTH ?? 'default', target_ratio: target, met: fig.ratio >= target && (SCENARIO !== 'buffered' || f.latency_ms.p99 <= 10) ? 'yes' : 'no' });
  } else if (SCENARIO === 'filled') {
    let rows = storedRows(FILLED_DIR);
    if (rows < FILLED_ROWS) {
      console.error(`filling ${FILLED_DIR} with ${FILLED_ROWS - rows} events (kept for the next run)…`);
      const t = fillEvents(FILLED_DIR, FILLED_ROWS - rows);
      console.error(`filled ${t.rows} rows in ${t.seconds.toFixed(0)} s (${(t.rows / t.seconds).toFixed(0)} rows/s)`);
      rows = storedRows(FILLED_DIR);
    }
    // Both servers up at once and measured back to back, alternating which goes first, with a
    // fresh request sequence each round (the same one for both): one 10-s window of a noisy
    // neighbour moved a single empty-then-full comparison by up to 10 %. The median round decides.
    const empty = await startFootfall(['--trust-proxy'], HEAP_ENV);
    const full = await startFootfall(['--trust-proxy'], HEAP_ENV, FILLED_DIR);
    const e = await measure(empty, base, {});
    checkRun(e.f);
    const m = await measure(full, base, {});
    checkRun(m.f);
    const rounds: { empty: number; full: number }[] = [];
    for (let round = 0; round < FILLED_ROUNDS; round++) {
      const seed = 424242 + round * 7919;
      const drive = async (ff: FootfallRun) => {
        const r = await runLoad(opts(ff.url, { seed, ackCheck: true }));
        checkRun(r);
        return r['req/s'];
      };
      const first = round % 2 === 0 ? await drive(empty) : await drive(full);
      const second = round % 2 === 0 ? await drive(full) : await drive(empty);
      rounds.push(round % 2 === 0 ? { empty: first, full: second } : { empty: second, full: first });
    }
    await stopAndCheck(empty);
    await stopAndCheck(full);
    const byRatio = [...rounds].sort((a, b) => a.full / a.empty - b.full / b.empty);
    const mid = byRatio[Math.floor(byRatio.length / 2)]!;
    const vsEmpty = mid.full / mid.empty;
    // The first comparison, each against its own baseline run, as the suite reported it before rounds.
    const vsEmptyNorm = (m.f['req/s'] / m.b['req/s']) / (e.f['req/s'] / e.b['req/s']);
    // The ratio to the bare server, latencies and CPU are the first full-database run's (measure());
    // empty_req/s, full_req/s and vs_empty are the median round's.
    line('mixed-10m-stored', {
      ...figures(m.b, m.f, m.peakMb), ...cpuFields(m.cpu), rows_before: rows, rounds: FILLED_ROUNDS,
      'empty_req/s': mid.empty, 'full_req/s': mid.full, vs_empty: vsEmpty, vs_empty_rounds: rounds.map((r) => (r.full / r.empty).toFixed(2)).join('/'),
      vs_empty_single_normalised: vsEmptyNorm, target: 0.9, met: vsEmpty >= 0.9 ? 'yes' : 'no',
    });
  } else if (SCENARIO === 'addresses') {
    // Every visitor a new client address (one pageview, maybe a custom event), until 1M were used.
    const mix: Record<Family, number> = { ...DEFAULT_MIX, pageview: 85, custom: 15, rudder: 0, pixel: 0 };
    const o = { mix, visitLength: 1, addresses: ADDRESSES, maxVisitors: ADDRESSES, durationMs: 180_000 };
    const ff = await startFootfall(['--trust-proxy', ...(MAX_SESSIONS ? ['--max-sessions', MAX_SESSIONS] : []), ...(LIMITER_KEYS ? ['--limiter-max-keys', LIMITER_KEYS] : [])], HEAP_ENV);
    const b = await runLoad(opts(base.url, { ...o, setup: false, durationMs: DURATION_MS, maxVisitors: undefined }));
    // RSS is reported for the load itself and, apart, for the export read-back that follows it.
    // The first and second half of the addresses are sampled apart: bounded maps plateau, so the
    // second half must not climb on (an unbounded map adds ~1 KB per address: +500 MB).
    const rss = rssPhases(ff.pid);
    rss.phase('load1');
    let half = false;
    const onVisitors = (v: number) => {
      if (!half && v >= ADDRESSES / 2) rss.phase('load2'), (half = true);
    };
    const f = await runLoad(opts(ff.url, { ...o, ackCheck: true, onVisitors, afterDrive: () => rss.phase('export') }));
    const peaks = rss.stop();
    const peakMb = Math.max(peaks.load1 ?? NaN, peaks.load2 ?? NaN);
    checkRun(f);
    await stopAndCheck(ff);
    check(f.visitors >= ADDRESSES, `only ${f.visitors} distinct addresses in 180 s`);
    check((peaks.load2 ?? Infinity) <= (peaks.load1 ?? 0) * 1.15 + 10, `RSS still climbing: first half ${peaks.load1?.toFixed(0)} MB, second ${peaks.load2?.toFixed(0)} MB`);
    line('distinct-addresses', { ...figures(b, f, peakMb), rss_first_half_mb: peaks.load1 ?? NaN, rss_second_half_mb: peaks.load2 ?? NaN, export_peak_rss_mb: peaks.export ?? NaN, addresses: f.visitors, seconds: f.durationS, max_sessions: MAX_SESSIONS ?? 'default', limiter_keys: LIMITER_KEYS ?? 'default', jsc_growth: JSC_GROWTH ?? 'default', target_rss_mb: 150, met: Math.max(peakMb, peaks.export ?? Infinity) <= 150 ? 'yes' : 'no' });
  } else {
    console.error(`unknown scenario ${SCENARIO} (buffered | durable | filled | addresses)`);
    process.exitCode = 2;
  }
} finally {
  await base.stop();
}
