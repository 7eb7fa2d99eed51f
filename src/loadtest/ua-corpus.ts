/** @module A deterministic corpus of a few thousand realistic user agents, most common first (for Zipf sampling). */

/** Seeded PRNG (mulberry32): the same corpus and workload every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WINDOWS = ['Windows NT 10.0; Win64; x64', 'Windows NT 10.0; WOW64', 'Windows NT 6.1; Win64; x64', 'Windows NT 6.3; Win64; x64'];
const MACS = ['Macintosh; Intel Mac OS X 10_15_7', 'Macintosh; Intel Mac OS X 14_6_1', 'Macintosh; Intel Mac OS X 13_5'];
const LINUX = ['X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64'];
const ANDROID = ['Linux; Android 14; Pixel 8', 'Linux; Android 13; SM-S918B', 'Linux; Android 12; SM-A525F', 'Linux; Android 14; 2311DRK48G', 'Linux; Android 11; moto g(30)', 'Linux; Android 10; K'];
const IOS = ['17_6_1', '18_1', '16_7_10', '18_0_1', '17_5'];

/**
 * Thousands of distinct, realistic UAs, browser × version × platform in roughly the browsers'
 * shares of real traffic, built from a seed (the same list every run, nothing to download).
 * No crawlers: a bot's hit is answered and not stored, and --ack-check counts on every 2xx being
 * an event stored.
 */
export function userAgentCorpus(size = 4000, seed = 7): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out = new Set<string>();
  const makers: (() => string)[] = [
    () => `Mozilla/5.0 (${pick(WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${110 + Math.floor(r() * 22)}.0.${Math.floor(r() * 7000)}.${Math.floor(r() * 200)} Safari/537.36`,
    () => `Mozilla/5.0 (${pick(MACS)}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${15 + Math.floor(r() * 4)}.${Math.floor(r() * 6)} Safari/605.1.15`,
    () => `Mozilla/5.0 (${pick([...WINDOWS, ...LINUX, ...MACS])}; rv:${115 + Math.floor(r() * 20)}.0) Gecko/20100101 Firefox/${115 + Math.floor(r() * 20)}.0`,
    () => `Mozilla/5.0 (${pick(ANDROID)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${110 + Math.floor(r() * 22)}.0.${Math.floor(r() * 7000)}.${Math.floor(r() * 200)} Mobile Safari/537.36`,
    () => `Mozilla/5.0 (iPhone; CPU iPhone OS ${pick(IOS)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${16 + Math.floor(r() * 3)}.${Math.floor(r() * 6)} Mobile/15E148 Safari/604.1`,
    () => `Mozilla/5.0 (${pick(WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${120 + Math.floor(r() * 12)}.0.0.0 Safari/537.36 Edg/${120 + Math.floor(r() * 12)}.0.${Math.floor(r() * 3000)}.${Math.floor(r() * 100)}`,
    () => `Mozilla/5.0 (iPad; CPU OS ${pick(IOS)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1`,
  ];
  const weights = [0.42, 0.14, 0.1, 0.16, 0.1, 0.06, 0.02];
  while (out.size < size) {
    let u = r();
    let i = 0;
    while (u > weights[i]! && i < weights.length - 1) u -= weights[i++]!;
    out.add(makers[i]!());
  }
  return [...out];
}

/** Index in [0, n) with a Zipf-like skew: a few UAs dominate, thousands appear now and then. */
export function zipfIndex(r: () => number, n: number, s = 1.1): number {
  // Inverse-CDF approximation of a bounded power law.
  const u = r();
  const x = Math.pow(1 - u * (1 - Math.pow(n, 1 - s)), 1 / (1 - s));
  return Math.min(n - 1, Math.floor(x) - 1);
}
