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

/**
 * What Chrome (and the browsers built on it) write since version 110, the "reduced" UA: the
 * platform frozen (Windows 10 64-bit, macOS 10_15_7, Android 10 "K") and the version as MAJOR.0.0.0.
 */
const CHROME_DESKTOP = ['Windows NT 10.0; Win64; x64', 'Windows NT 10.0; Win64; x64', 'Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 10_15_7', 'X11; Linux x86_64', 'X11; CrOS x86_64 14541.0.0'];
/** Where Chrome ran before it froze its UA (Windows 7 and 8.1 up to Chrome 109, its last there). */
const OLD_WINDOWS = ['Windows NT 10.0; Win64; x64', 'Windows NT 10.0; WOW64', 'Windows NT 6.1; Win64; x64', 'Windows NT 6.3; Win64; x64'];
/** What Chrome and Safari say on every Mac since they froze it (macOS 11+ included). */
const MAC_FROZEN = 'Macintosh; Intel Mac OS X 10_15_7';
/** Firefox writes the (frozen) macOS version with dots; it still runs on Windows 7 as 115 ESR (below). */
const FIREFOX_PLATFORMS = ['Windows NT 10.0; Win64; x64', 'X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64', 'Macintosh; Intel Mac OS X 10.15'];
/** Android devices as in-app browsers (WebView) and Samsung Internet write them: model and build, not frozen. */
const ANDROID_DEVICES = [
  ['14', 'Pixel 8', 'AP2A.240805.005'], ['14', 'Pixel 7a', 'AP1A.240505.004'], ['13', 'SM-S918B', 'TP1A.220624.014'], ['14', 'SM-A546B', 'UP1A.231005.007'],
  ['12', 'SM-A525F', 'SP1A.210812.016'], ['14', '2311DRK48G', 'UP1A.230905.011'], ['11', 'moto g(30)', 'RRMS31.Q1-79-34'], ['13', 'CPH2437', 'TP1A.220905.001'],
  ['13', 'M2101K6G', 'TKQ1.221013.002'], ['12', 'SM-G991B', 'SP1A.210812.016'],
] as const;
/** iOS releases; Safari's Version/ is the release's own major.minor. */
const IOS = ['16_6_1', '16_7_10', '17_1_2', '17_2_1', '17_3_1', '17_4_1', '17_5_1', '17_6_1', '18_0_1', '18_1', '18_1_1', '18_2', '18_3_2', '18_4_1', '18_5', '18_6_2'];
/** Safari's own version on a Mac (the OS in its UA stays frozen). */
const SAFARI = ['15.6.1', '16.5.2', '16.6', '17.0', '17.1', '17.2.1', '17.3.1', '17.4.1', '17.5', '17.6', '18.0', '18.0.1', '18.1', '18.1.1', '18.2', '18.3', '18.4', '18.5', '18.6'];

/**
 * Thousands of distinct, realistic UAs, browser × version × platform in roughly the browsers'
 * shares of real traffic, built from a seed (the same list every run, nothing to download), and
 * as the browsers write them: Chrome 110+ (and Edge, Opera, Samsung Internet) reduced to
 * MAJOR.0.0.0 on a frozen platform, full builds only before 110 (the last on Windows 7 and 8.1)
 * and in Android WebViews, Firefox's rv: is its version, Edge's Chrome/ is its own major,
 * Safari's Version/ follows iOS, Macs are frozen at 10_15_7. The most common strings come first
 * (the first drawn), the long tail is in-app browsers and browser builds.
 * No crawlers: a bot's hit is answered and not stored, and --ack-check counts on every 2xx being
 * an event stored.
 */
export function userAgentCorpus(size = 4000, seed = 7): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const int = (from: number, count: number) => from + Math.floor(r() * count);
  const out = new Set<string>();
  const safariOnIos = (ios: string) => ios.split('_').slice(0, 2).join('.');
  /** Chrome's major, recent ones likelier (people update). */
  const chrome = () => 131 - Math.min(int(0, 22), int(0, 22));
  const webkit = 'AppleWebKit/537.36 (KHTML, like Gecko)';
  const makers: [number, () => string][] = [
    [0.32, () => `Mozilla/5.0 (${pick(CHROME_DESKTOP)}) ${webkit} Chrome/${chrome()}.0.0.0 Safari/537.36`],
    [0.13, () => `Mozilla/5.0 (Linux; Android 10; K) ${webkit} Chrome/${chrome()}.0.0.0 Mobile Safari/537.36`],
    [0.16, () => {
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safariOnIos(ios)} Mobile/15E148 Safari/604.1`;
    }],
    [0.08, () => `Mozilla/5.0 (${MAC_FROZEN}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${pick(SAFARI)} Safari/605.1.15`],
    [0.06, () => {
      const v = chrome();
      return `Mozilla/5.0 (${r() < 0.9 ? 'Windows NT 10.0; Win64; x64' : MAC_FROZEN}) ${webkit} Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`;
    }],
    [0.07, () => {
      // Firefox 115 ESR is the last on Windows 7 and 8.1.
      if (r() < 0.08) return `Mozilla/5.0 (${pick(['Windows NT 6.1; Win64; x64', 'Windows NT 6.3; Win64; x64'])}; rv:115.0) Gecko/20100101 Firefox/115.0`;
      const v = int(115, 20);
      return `Mozilla/5.0 (${pick(FIREFOX_PLATFORMS)}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
    }],
    [0.04, () => {
      // Chrome on iOS is Safari's engine under Chrome's name, with its full version.
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${chrome()}.0.${int(6000, 900)}.${int(10, 150)} Mobile/15E148 Safari/604.1`;
    }],
    [0.02, () => {
      // An Android app's WebView (Facebook's in-app browser): device, build and full Chrome version.
      const [android, model, build] = pick(ANDROID_DEVICES);
      return `Mozilla/5.0 (Linux; Android ${android}; ${model} Build/${build}; wv) ${webkit} Version/4.0 Chrome/${chrome()}.0.${int(5000, 1900)}.${int(0, 200)} Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/${int(420, 80)}.0.0.${int(10, 60)}.${int(10, 110)};]`;
    }],
    [0.02, () => {
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram ${int(300, 60)}.0.0.${int(10, 30)}.${int(50, 100)} (iPhone${int(12, 5)},${int(1, 4)}; iOS ${ios}; en_US; en; scale=3.00; 1170x2532; ${int(500_000_000, 99_999_999)})`;
    }],
    [0.04, () => {
      const [android, model] = pick(ANDROID_DEVICES.filter((d) => d[1].startsWith('SM-')));
      return `Mozilla/5.0 (Linux; Android ${android}; SAMSUNG ${model}) ${webkit} SamsungBrowser/${int(20, 8)}.0 Chrome/${chrome()}.0.0.0 Mobile Safari/537.36`;
    }],
    [0.02, () => `Mozilla/5.0 (${pick(OLD_WINDOWS)}) ${webkit} Chrome/${int(100, 10)}.0.${int(4896, 600)}.${int(0, 200)} Safari/537.36`],
    [0.02, () => {
      const ios = pick(IOS);
      return `Mozilla/5.0 (iPad; CPU OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${safariOnIos(ios)} Mobile/15E148 Safari/604.1`;
    }],
    [0.02, () => {
      const v = chrome();
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${webkit} Chrome/${v}.0.0.0 Safari/537.36 OPR/${v - 15}.0.0.0`;
    }],
  ];
  while (out.size < size) {
    let u = r();
    let i = 0;
    while (u > makers[i]![0] && i < makers.length - 1) u -= makers[i++]![0];
    out.add(makers[i]![1]());
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
