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
/** What Chrome and Safari say on every Mac since they froze it (macOS 11+ included). */
const MAC_FROZEN = 'Macintosh; Intel Mac OS X 10_15_7';
/** Firefox writes the (frozen) macOS version with dots. */
const FIREFOX_PLATFORMS = [...WINDOWS, 'X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64', 'Macintosh; Intel Mac OS X 10.15'];
const ANDROID = ['Linux; Android 14; Pixel 8', 'Linux; Android 13; SM-S918B', 'Linux; Android 12; SM-A525F', 'Linux; Android 14; 2311DRK48G', 'Linux; Android 11; moto g(30)', 'Linux; Android 10; K'];
/** iOS releases; Safari's Version/ is the release's own major.minor. */
const IOS = ['16_6_1', '16_7_10', '17_1_2', '17_2_1', '17_3_1', '17_4_1', '17_5_1', '17_6_1', '18_0_1', '18_1', '18_1_1', '18_2', '18_3_2', '18_4_1', '18_5', '18_6_2'];
/** Safari's own version on a Mac (the OS in its UA stays frozen). */
const SAFARI = ['15.6.1', '16.5.2', '16.6', '17.0', '17.1', '17.2.1', '17.3.1', '17.4.1', '17.5', '17.6', '18.0', '18.0.1', '18.1', '18.1.1', '18.2', '18.3', '18.4', '18.5', '18.6'];

/**
 * Thousands of distinct, realistic UAs, browser × version × platform in roughly the browsers'
 * shares of real traffic, built from a seed (the same list every run, nothing to download), and
 * as the browsers write them: Firefox's rv: is its version, Edge's Chrome/ is its own major,
 * Safari's Version/ follows iOS, Macs are frozen at 10_15_7.
 * No crawlers: a bot's hit is answered and not stored, and --ack-check counts on every 2xx being
 * an event stored.
 */
export function userAgentCorpus(size = 4000, seed = 7): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const int = (from: number, count: number) => from + Math.floor(r() * count);
  const out = new Set<string>();
  const safariOnIos = (ios: string) => ios.split('_').slice(0, 2).join('.');
  const makers: (() => string)[] = [
    () => `Mozilla/5.0 (${pick([...WINDOWS, MAC_FROZEN, 'X11; Linux x86_64'])}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(110, 22)}.0.${int(0, 7000)}.${int(0, 200)} Safari/537.36`,
    () => `Mozilla/5.0 (${MAC_FROZEN}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${pick(SAFARI)} Safari/605.1.15`,
    () => {
      const v = int(115, 20);
      return `Mozilla/5.0 (${pick(FIREFOX_PLATFORMS)}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
    },
    () => `Mozilla/5.0 (${pick(ANDROID)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(110, 22)}.0.${int(0, 7000)}.${int(0, 200)} Mobile Safari/537.36`,
    () => {
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safariOnIos(ios)} Mobile/15E148 Safari/604.1`;
    },
    () => {
      const v = int(120, 12);
      return `Mozilla/5.0 (${pick(WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${int(0, 3000)}.${int(0, 100)}`;
    },
    () => {
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPad; CPU OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safariOnIos(ios)} Mobile/15E148 Safari/604.1`;
    },
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
