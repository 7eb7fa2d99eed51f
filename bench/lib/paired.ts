/** @module Paired rounds: baseline and Footfall measured back to back several times, the ratio taken per round and its median reported. */
import { peakRss } from './bench-server.ts';
import { measureCpu, type CpuSplit, type LoadStartHook } from './cpu-split.ts';
import { percentile } from './report.ts';
import { wrk, type WrkResult } from './wrk.ts';

export interface PairedRun {
  /** Median over rounds of footfall req/s ÷ baseline req/s measured in the same round. */
  ratio: number;
  ratios: number[];
  /** Median req/s of each side. */
  baselineRps: number;
  footfallRps: number;
  /** Median over rounds of Footfall's latency percentiles, and the baseline's p99. */
  p50ms: number;
  p99ms: number;
  baselineP50ms: number;
  baselineP99ms: number;
  /** Totals over every Footfall round (for stored = acknowledged). */
  requests: number;
  non2xx: number;
  errors: number;
  /** Footfall's peak RSS over its rounds. */
  peakMb: number;
  /** Median over rounds of where each side's CPU went, per request (cpu-split.ts). */
  cpu: CpuSplit;
  baselineCpu: CpuSplit;
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

/**
 * Why rounds: the machines are shared, and a neighbour's burst during one 10-s run moved a single
 * baseline-then-Footfall ratio by ±30 %. Measuring both sides back to back, alternating which
 * goes first, and taking the median ratio keeps one noisy window from deciding the figure.
 * `footfall(round)` gets the round number so it can use a fresh request sequence (a replayed
 * Prisme sequence would turn pageviews into reloads).
 */
export async function pairedRounds(opts: {
  rounds: number;
  /** `hook` goes to wrk(), so the CPU split covers the load alone. */
  baseline: (hook: LoadStartHook) => Promise<WrkResult>;
  footfall: (round: number, hook: LoadStartHook) => Promise<WrkResult>;
  footfallPid: number;
  baselinePid: number;
}): Promise<PairedRun> {
  const base: WrkResult[] = [];
  const ff: WrkResult[] = [];
  const baseCpu: CpuSplit[] = [];
  const ffCpu: CpuSplit[] = [];
  const runBase = async () => {
    const m = await measureCpu(opts.baselinePid, opts.baseline);
    base.push(m.result);
    baseCpu.push(m.cpu);
  };
  const runFootfall = async (round: number) => {
    const m = await measureCpu(opts.footfallPid, (hook) => opts.footfall(round, hook));
    ff.push(m.result);
    ffCpu.push(m.cpu);
  };
  const rounds = async () => {
    for (let round = 0; round < opts.rounds; round++) {
      if (round % 2 === 0) {
        await runBase();
        await runFootfall(round);
      } else {
        await runFootfall(round);
        await runBase();
      }
    }
  };
  const { peakMb } = await peakRss(opts.footfallPid, rounds());
  const ratios = ff.map((f, i) => f.rps / base[i]!.rps);
  return {
    ratio: median(ratios),
    ratios,
    baselineRps: median(base.map((b) => b.rps)),
    footfallRps: median(ff.map((f) => f.rps)),
    p50ms: median(ff.map((f) => f.p50ms)),
    p99ms: median(ff.map((f) => f.p99ms)),
    baselineP50ms: median(base.map((b) => b.p50ms)),
    baselineP99ms: median(base.map((b) => b.p99ms)),
    requests: ff.reduce((a, f) => a + f.requests, 0),
    non2xx: ff.reduce((a, f) => a + f.non2xx, 0),
    errors: ff.reduce((a, f) => a + f.errors, 0),
    peakMb,
    cpu: medianSplit(ffCpu),
    baselineCpu: medianSplit(baseCpu),
  };
}

/** Field by field median of the rounds' splits. */
function medianSplit(splits: CpuSplit[]): CpuSplit {
  const m = (k: keyof CpuSplit) => median(splits.map((s) => s[k]));
  return {
    requestUs: m('requestUs'), requestKernelUs: m('requestKernelUs'), writerUs: m('writerUs'), gcUs: m('gcUs'), otherUs: m('otherUs'),
    generatorUs: m('generatorUs'), requestBusy: m('requestBusy'), requestWaiting: m('requestWaiting'), writerWaiting: m('writerWaiting'),
    machineBusy: m('machineBusy'),
  };
}

/**
 * pairedRounds() with wrk on both sides: the same script against the baseline's `url` and
 * Footfall's, or for Footfall one script per round (`footfallScript`).
 */
export function pairedWrk(o: {
  rounds: number;
  connections: number;
  durationS: number;
  baseline: { url: string; pid: number };
  footfall: { url: string; pid: number };
  script: string;
  footfallScript?: (round: number) => string;
}): Promise<PairedRun> {
  const run = (url: string, script: string, hook: LoadStartHook) => wrk(url, { connections: o.connections, durationS: o.durationS, script, hook });
  return pairedRounds({
    rounds: o.rounds,
    footfallPid: o.footfall.pid,
    baselinePid: o.baseline.pid,
    baseline: (hook) => run(o.baseline.url, o.script, hook),
    footfall: (round, hook) => run(o.footfall.url, o.footfallScript?.(round) ?? o.script, hook),
  });
}

/**
 * pairedWrk() after a warm-up: 2 s of the baseline with `script`, then 3 s of Footfall with
 * `warmScript` (the JIT, and caches filled by requests the measured ones do not repeat). The
 * warm-up's answers are returned too: what Footfall acknowledged then is stored as well.
 */
export async function warmedPairedWrk(o: Parameters<typeof pairedWrk>[0] & { warmScript: string }): Promise<{ f: PairedRun; warm: WrkResult }> {
  await wrk(o.baseline.url, { connections: o.connections, durationS: 2, script: o.script });
  const warm = await wrk(o.footfall.url, { connections: o.connections, durationS: 3, script: o.warmScript });
  return { f: await pairedWrk(o), warm };
}
