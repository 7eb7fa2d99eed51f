import { describe, expect, it } from 'bun:test';
import { clientHintsFrom, createUserAgentParser, cutUserAgent, osVersionWithHints, type ClientHints } from './user-agent.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';
import { UAParser } from 'ua-parser-js';
import { isBot } from 'ua-parser-js/bot-detection';
import { Bots } from 'ua-parser-js/extensions';
import { userAgentCorpus } from '../loadtest/ua-corpus.ts';

const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36';
const ANDROID_REDUCED =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

describe('createUserAgentParser', () => {
  it('reads Chrome on Windows as a desktop browser', () => {
    const p = createUserAgentParser({ capacity: 10 });
    expect(p.parse(WINDOWS_CHROME)).toEqual({
      browser: 'Chrome', browserVersion: '120.0.0.0', os: 'Windows', osVersion: '10', device: 'desktop', isBot: false,
    });
  });

  it('reads Safari on an iPhone as mobile iOS', () => {
    const r = createUserAgentParser({ capacity: 10 }).parse(IPHONE_SAFARI);
    expect([r.browser, r.os, r.osVersion, r.device, r.isBot]).toEqual(['Mobile Safari', 'iOS', '17.1', 'mobile', false]);
  });

  it('flags Googlebot, the bare Googlebot token and curl as bots', () => {
    const p = createUserAgentParser({ capacity: 10 });
    expect(p.parse(GOOGLEBOT).isBot).toBe(true);
    expect(p.parse('Googlebot').isBot).toBe(true);
    expect(p.parse('curl/8.4.0').isBot).toBe(true);
  });

  it('flags headless Chrome as a bot through its browser name', () => {
    const r = createUserAgentParser({ capacity: 10 }).parse(HEADLESS);
    expect(r.browser).toBe('Chrome Headless');
    expect(r.isBot).toBe(true);
  });

  it('does not call an empty user agent a bot', () => {
    expect(createUserAgentParser({ capacity: 10 }).parse('')).toEqual({
      browser: null, browserVersion: null, os: null, osVersion: null, device: 'desktop', isBot: false,
    });
  });

  it('lets client hints fill in the model, platform version and full browser version', () => {
    const hints = clientHintsFrom(
      new Headers({
        'Sec-CH-UA': '"Chromium";v="120", "Google Chrome";v="120", "Not?A_Brand";v="99"',
        'Sec-CH-UA-Platform': '"Android"',
        'Sec-CH-UA-Platform-Version': '"14.0.0"',
        'Sec-CH-UA-Model': '"Pixel 8"',
        'Sec-CH-UA-Mobile': '?1',
        'Sec-CH-UA-Full-Version-List': '"Chromium";v="120.0.6099.230", "Google Chrome";v="120.0.6099.230"',
        'Accept': 'text/html',
      }),
    );
    expect(Object.keys(hints ?? {}).length).toBe(6);
    const p = createUserAgentParser({ capacity: 10 });
    expect(p.parse(ANDROID_REDUCED, hints)).toEqual({
      browser: 'Chrome', browserVersion: '120.0.6099.230', os: 'Android', osVersion: '14.0.0', device: 'mobile', isBot: false,
    });
    // The same UA without hints is another cache entry with the reduced UA's values.
    expect(p.parse(ANDROID_REDUCED).osVersion).toBe('10');
    expect(p.stats().size).toBe(2);
  });

  it('gives no hints when the headers carry none', () => {
    expect(clientHintsFrom({ 'user-agent': 'x' })).toBeUndefined();
  });

  it('counts a repeated user agent as a cache hit and returns the same object', () => {
    const p = createUserAgentParser({ capacity: 10 });
    const a = p.parse(WINDOWS_CHROME);
    const b = p.parse(WINDOWS_CHROME);
    expect(b).toBe(a);
    expect(p.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it('never holds more entries than its capacity', () => {
    const p = createUserAgentParser({ capacity: 3 });
    for (let i = 0; i < 10; i++) p.parse(`Agent/${i}`);
    expect(p.stats().size).toBe(3);
    p.parse('Agent/9');
    p.parse('Agent/0');
    expect(p.stats()).toEqual({ hits: 1, misses: 11, size: 3 });
  });

  it('keeps nothing of a long User-Agent header beyond its 500-character cut, in the cache or the parsed fields', () => {
    const parser = createUserAgentParser({ capacity: 1000 });
    const parsed: unknown[] = [];
    // 100 distinct headers of 200 KB (a header may be 512 KiB): 20 MB if the cache kept views on them.
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) parsed.push(parser.parse(flatText(`Mozilla/5.0 (X11; Linux x86_64) Firefox/${i}.0 `, 200_000)));
    });
    expect(parser.stats().size).toBe(100);
    expect(parsed.length).toBe(100);
    expect(kept).toBeLessThan(2_000_000);
  });

  it('cuts a User-Agent or client hint to the 500 characters the parser reads, which parse the same', () => {
    const parser = createUserAgentParser({ capacity: 10 });
    const long = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 '.padEnd(50_000, 'q');
    expect(cutUserAgent(long)).toBe(long.slice(0, 500));
    const short = 'curl/8.5.0';
    expect(cutUserAgent(short)).toBe(short);
    expect(parser.parse(cutUserAgent(long))).toEqual(parser.parse(long));
    expect(clientHintsFrom({ 'sec-ch-ua-platform': '"Windows"'.padEnd(2000, ' ') })?.['sec-ch-ua-platform']?.length).toBe(500);
  });

  it("keeps the OS version a User-Agent gives when the hints name the platform but not its version, and reads Windows' platform versions as Microsoft defines them", () => {
    const parser = createUserAgentParser({ capacity: 10 });
    const WIN7 = 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36';
    const WIN81 = WIN7.replace('6.1', '6.3');
    const WIN10 = WIN7.replace('6.1', '10.0').replace('109', '131');
    const FB = 'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/477.0.0.49.82;]';
    const chrome = (platform: string, version?: string): ClientHints => ({
      'sec-ch-ua': '"Not_A Brand";v="99", "Google Chrome";v="109", "Chromium";v="109"', 'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': `"${platform}"`,
      ...(version === undefined ? {} : { 'sec-ch-ua-platform-version': `"${version}"` }),
    });
    const os = (ua: string, hints?: ClientHints) => { const r = parser.parse(ua, hints); return `${r.os} ${r.osVersion}`; };
    expect([os(WIN7), os(WIN7, chrome('Windows')), os(WIN81, chrome('Windows')), os(WIN81, chrome('Windows', '0.3.0')), os(WIN7, chrome('Windows', '0.1.0'))])
      .toEqual(['Windows 7', 'Windows 7', 'Windows 8.1', 'Windows 8.1', 'Windows 7']);
    expect([os(WIN10, chrome('Windows')), os(WIN10, chrome('Windows', '10.0.0')), os(WIN10, chrome('Windows', '15.0.0'))]).toEqual(['Windows 10', 'Windows 10', 'Windows 11']);
    expect([os(FB), os(FB, chrome('Android')), os(FB, chrome('Android', '15.0.0'))]).toEqual(['Android 14', 'Android 14', 'Android 15.0.0']);
    // A platform the UA does not name: its version is the hint's or none.
    expect(osVersionWithHints({ name: 'Linux', version: '5' }, { name: 'Android' }, chrome('Android'))).toBeNull();
  });

  it('parses every UA of the load corpus, bots and client-hint combinations as the full result of ua-parser does', () => {
    // The straightforward use of the library: a parser per call, the whole result, hints applied to it.
    const reference = (ua: string, hints?: ClientHints) => {
      const result = new UAParser(ua, Bots, hints ? { ...hints } : undefined).getResult();
      const bot = ua !== '' && (isBot(result) || /bot|spider|crawl|headless/i.test(result.browser.name ?? ''));
      const uaOs = { name: result.os.name, version: result.os.version };
      const r = hints ? (result.withClientHints() as typeof result) : result;
      return {
        browser: r.browser.name ?? null, browserVersion: r.browser.version ?? null, os: r.os.name ?? null,
        // The one correction made to ua-parser's hints (osVersionWithHints, tested below).
        osVersion: hints ? osVersionWithHints(uaOs, r.os, hints) : (r.os.version ?? null), device: r.device.type ?? 'desktop', isBot: bot || /bot|spider|crawl|headless/i.test(r.browser.name ?? ''),
      };
    };
    const hintSets: (ClientHints | undefined)[] = [
      undefined,
      { 'sec-ch-ua': '"Chromium";v="131", "Google Chrome";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': '"Windows"' },
      { 'sec-ch-ua': '"Microsoft Edge";v="131", "Chromium";v="131"', 'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': '"macOS"', 'sec-ch-ua-platform-version': '"14.5.0"' },
      { 'sec-ch-ua': '"Chromium";v="120"', 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-model': '"Pixel 8"',
        'sec-ch-ua-full-version-list': '"Chromium";v="120.0.6099.230", "Google Chrome";v="120.0.6099.230"' },
    ];
    const uas = [...userAgentCorpus(), GOOGLEBOT, HEADLESS, 'curl/8.4.0', 'Googlebot', '', 'python-requests/2.31.0',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'facebookexternalhit/1.1'];
    // Capacity 1: every call below parses (the corpus has no two equal UAs in a row), and plain
    // and hinted parses interleave on the parsers the module keeps.
    const parser = createUserAgentParser({ capacity: 1 });
    let compared = 0;
    let bots = 0;
    uas.forEach((ua, i) => {
      const hints = hintSets[i % hintSets.length];
      const want = reference(ua, hints);
      expect(parser.parse(ua, hints)).toEqual(want);
      compared++;
      if (want.isBot) bots++;
    });
    expect(compared).toBe(4008);
    expect(bots).toBeGreaterThanOrEqual(6);
    expect(parser.stats().misses).toBe(4008);
  });
});
