/** @module Paired rounds: baseline and Footfall measured back to back several times, the ratio taken per round and its median reported. */
import { readFileSync } from 'node:fs';
import type { WrkResult } from './wrk.ts';

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
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Why rounds: the machines are shared, and a neighbour's burst during one 10-s run moved a single
 * baseline-then-Footfall ratio by ±30 %. Measuring both sides back to back, alternating which
 * goes first, and taking the median ratio keeps one noisy window from deciding the figure.
 * `footfall(round)` gets the round number so it can use a fresh request sequence (a replayed
 * Prisme sequence would turn pageviews into reloads).
 */
export async function pairedRounds(opts: {
  rounds: number;
  baseline: () => Promise<WrkResult>;
  footfall: (round: number) => Promise<WrkResult>;
  footfallPid: number;
}): Promise<PairedRun> {
  const base: WrkResult[] = [];
  const ff: WrkResult[] = [];
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${opts.footfallPid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {}
      await Bun.sleep(100);
    }
  })();
  for (let round = 0; round < opts.rounds; round++) {
    if (round % 2 === 0) {
      base.push(await opts.baseline());
      ff.push(await opts.footfall(round));
    } else {
      ff.push(await opts.footfall(round));
      base.push(await opts.baseline());
    }
  }
  sampling = false;
  await sampler;
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
    peakMb: peak,
  };
}
