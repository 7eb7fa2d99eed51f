/** @module User-Agent strings (plus client hints) into browser/OS/device/bot fields, through a bounded LRU cache. */
import { detach } from '../lib/detach.ts';
import { UAParser, type IBrowser, type IDevice, type IOS, type IResult } from 'ua-parser-js';
import { isBot as uaParserIsBot } from 'ua-parser-js/bot-detection';
import { Bots } from 'ua-parser-js/extensions';
import { Lru } from '../lib/lru.ts';

/** The client-hint request headers we read, by their lower-case names. */
export const CLIENT_HINT_HEADERS = [
  'sec-ch-ua',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
  'sec-ch-ua-model',
  'sec-ch-ua-mobile',
  'sec-ch-ua-full-version-list',
] as const;
export type ClientHintHeader = (typeof CLIENT_HINT_HEADERS)[number];

/** Client-hint header values as received (quotes and all), keyed by lower-case header name. */
export type ClientHints = Partial<Record<ClientHintHeader, string>>;

export interface ParsedUserAgent {
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  /** ua-parser's device type (`mobile`, `tablet`, `smarttv`, …), `desktop` when it names none. */
  device: string;
  isBot: boolean;
}

/** A cache's counters since start (as /api/metrics shows them). */
export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface UserAgentParser {
  /** Parses (or returns the cached result for) this UA and hint combination. Never throws. */
  parse(ua: string, hints?: ClientHints): ParsedUserAgent;
  stats(): CacheStats;
}

/** Picks the client hints out of request headers (a `Headers` or a plain lower-case record). */
export function clientHintsFrom(
  headers: Headers | Record<string, string | undefined>,
): ClientHints | undefined {
  let hints: ClientHints | undefined;
  for (const name of CLIENT_HINT_HEADERS) {
    const v = headers instanceof Headers ? headers.get(name) : headers[name];
    if (v) (hints ??= {})[name] = cutUserAgent(v);
  }
  return hints;
}

/**
 * A User-Agent (or client hint) as the parser reads it: its first MAX_PART characters, copied when
 * cut (detach.ts), so a hit that carries it to the writer thread carries 500 characters, not a
 * header of up to 512 KiB. Nothing is lost: ua-parser reads no further.
 */
export function cutUserAgent(ua: string): string {
  return ua.length > MAX_PART ? detach(ua.slice(0, MAX_PART)) : ua;
}

// decisions.md: a bot is whatever ua-parser's detection calls one, or a browser named like one.
const BOT_NAME_RE = /bot|spider|crawl|headless/i;

// ua-parser itself cuts the UA and each hint to 500 characters, so keying on the cut values loses
// nothing and keeps one cache entry under ~3.5 KB even for hostile headers.
const MAX_PART = 500;

/**
 * Parses without caching. ua-parser's constructor merges the Bots extension's regexes into its own
 * tables at every call (~30 % of a parse), and its full result parses the CPU and the engine too,
 * which nothing here reads: so parsers are built once (one per client-hint combination, which are
 * few) and only the browser, OS and device are parsed: 64 µs a call on the dev machine against
 * 91 µs for `new UAParser(ua, Bots, hints).getResult()` (medians of 10 alternating rounds over the
 * 4,000-UA load corpus), with the same fields (a test compares both over that corpus, bots and hints).
 */
function parseUserAgentUncached(ua: string, hints?: ClientHints): ParsedUserAgent {
  const p = parserFor(hints);
  p.setUA(ua);
  // The Bots extension teaches ua-parser crawler/fetcher/CLI/library names and sets browser.type,
  // which is what its isBot() reads (from the UA alone, before any hint renames the browser).
  const browser = p.getBrowser();
  const bot = ua !== '' && (uaParserIsBot({ browser } as IResult) || BOT_NAME_RE.test(browser.name ?? ''));
  // In Bun there is no navigator.userAgentData, so withClientHints() applies the parser's hint
  // headers synchronously (ua-parser only returns a Promise inside a Chromium browser); it
  // updates the item it is called on and returns it.
  const b = hints ? (browser.withClientHints() as IBrowser) : browser;
  const uaOs = p.getOS();
  const os = hints ? (p.getOS().withClientHints() as IOS) : uaOs;
  const device = hints ? (p.getDevice().withClientHints() as IDevice) : p.getDevice();
  return {
    browser: b.name ?? null,
    browserVersion: b.version ?? null,
    os: os.name ?? null,
    osVersion: hints ? osVersionWithHints(uaOs, os, hints) : (os.version ?? null),
    device: device.type ?? 'desktop',
    isBot: bot || BOT_NAME_RE.test(b.name ?? ''),
  };
}

/**
 * The OS version once the client hints are applied. ua-parser takes the version from
 * `Sec-CH-UA-Platform-Version` whenever `Sec-CH-UA-Platform` is there, so a request that sends
 * the platform but not its version (Chrome's default hints: the version is sent only when asked
 * for) lost the version its User-Agent gave (Android 14 in an in-app browser became none), and
 * for Windows any version below 13 read as 10 (Windows 7 and 8.1, whose User-Agents say so,
 * became 10). Hints only add here: without a platform version the UA's version stands, for the
 * same OS; and Windows' own platform versions are read as Microsoft defines them: 0.1 is 7, 0.2 is
 * 8, 0.3 is 8.1, 1 to 10 are 10, 13 and above 11.
 */
export function osVersionWithHints(uaOs: { name?: string; version?: string }, hinted: { name?: string; version?: string }, hints: ClientHints): string | null {
  const given = hints['sec-ch-ua-platform-version']?.replace(/^\s*"?|"?\s*$/g, '') ?? '';
  if (given === '') return (uaOs.name === hinted.name ? uaOs.version : hinted.version) ?? null;
  if (hinted.name === 'Windows') {
    const [major, minor] = given.split('.').map((n) => parseInt(n, 10));
    if (major === 0) return ({ 1: '7', 2: '8', 3: '8.1' } as Record<number, string>)[minor!] ?? uaOs.version ?? null;
  }
  return hinted.version ?? null;
}

const plainParser = new UAParser(Bots);
/** Parsers bound to client-hint headers, by hintsKey(): a few browser × platform combinations in practice. */
const hintParsers = new Lru<string, UAParser>(64);

function parserFor(hints: ClientHints | undefined): UAParser {
  if (!hints) return plainParser;
  const key = hintsKey(hints);
  let p = hintParsers.get(key);
  if (p === undefined) hintParsers.set(key, (p = new UAParser(Bots, hints)));
  return p;
}

/**
 * Entries of each thread's UA cache (the request thread's; the writer thread's, for RudderStack
 * pixel hits): 10k distinct UAs cover >99 % of hits on real traffic (a Zipf tail); ~3.5 KB worst case each.
 */
export const UA_CACHE_SIZE = 10_000;

/**
 * A UA parser with an LRU cache of `capacity` entries keyed by UA + hint values.
 * Measured on the dev machine (bun 1.4.5, 5 common browser UAs, no hints): uncached ~60 µs per
 * parse (5,000 calls, before parsers were reused: see parseUserAgentUncached), cached ~0.07 µs (200,000 calls: a slice and a Map lookup) — ~800× cheaper.
 * Real traffic repeats a small set of UAs, so a cache of a few thousand entries answers most hits.
 */
export function createUserAgentParser(opts: { capacity: number }): UserAgentParser {
  const cache = new Lru<string, ParsedUserAgent>(opts.capacity);
  return {
    parse(ua, hints) {
      const hit = cache.get(cacheKey(ua, hints));
      if (hit) return hit;
      // A miss is kept: its key and the parsed fields (matches in the UA) must not be views on a
      // header of up to 512 KiB (detach.ts), so both come from copies of the cut values.
      const kept = detach(ua.slice(0, MAX_PART));
      const keptHints = hints && cut(hints);
      let parsed: ParsedUserAgent;
      try {
        parsed = Object.freeze(parseUserAgentUncached(kept, keptHints));
      } catch {
        // ua-parser is regex-only and should not throw; if it ever does, degrade to "unknown".
        parsed = Object.freeze({
          browser: null, browserVersion: null, os: null, osVersion: null, device: 'desktop', isBot: false,
        });
      }
      // Built from the copies: no view on the header (a concatenation references its parts).
      cache.set(cacheKey(kept, keptHints), parsed);
      return parsed;
    },
    stats() {
      return { hits: cache.hits, misses: cache.misses, size: cache.size };
    },
  };
}

function cut(hints: ClientHints): ClientHints {
  const out: ClientHints = {};
  for (const name of CLIENT_HINT_HEADERS) {
    const v = hints[name];
    if (v !== undefined) out[name] = detach(v.slice(0, MAX_PART));
  }
  return out;
}

function cacheKey(ua: string, hints?: ClientHints): string {
  const key = ua.slice(0, MAX_PART);
  return hints ? key + hintsKey(hints) : key;
}

function hintsKey(hints: ClientHints): string {
  let key = '';
  // NUL cannot occur in an HTTP header value, so it separates the parts unambiguously.
  for (const name of CLIENT_HINT_HEADERS) key += '\0' + (hints[name]?.slice(0, MAX_PART) ?? '');
  return key;
}
