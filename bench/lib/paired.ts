/** @module Paired rounds: baseline and Footfall measured back to back several times, the ratio taken per round and its median reported. */
import { peakRss } from './bench-server.ts';
import { percentile } from './report.ts';
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
  baseline: () => Promise<WrkResult>;
  footfall: (round: number) => Promise<WrkResult>;
  footfallPid: number;
}): Promise<PairedRun> {
  const base: WrkResult[] = [];
  const ff: WrkResult[] = [];
  const rounds = async () => {
    for (let round = 0; round < opts.rounds; round++) {
      if (round % 2 === 0) {
        base.push(await opts.baseline());
        ff.push(await opts.footfall(round));
      } else {
        ff.push(await opts.footfall(round));
        base.push(await opts.baseline());
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
  };
}
