/** @module Page and referrer URL strings into normalised PageUrl values, plus referrer domain and UTM fields (Prisme's URL rules). */
import { detach } from '../lib/detach.ts';
import { Lru } from '../lib/lru.ts';

/** A parsed, normalised absolute URL. Every field is already normalised; `href` re-serialises them. */
export interface PageUrl {
  /** `scheme://host/path[?query][#fragment]`, e.g. `https://www.example.com/?q=foo#bar`. */
  readonly href: string;
  /** Lower-cased, without `:` (`https`). Protocol-relative input (`//host/x`) gets `http`. */
  readonly scheme: string;
  /** Lower-cased host with its port if one was given (`example.org:8080`); user-info dropped. */
  readonly host: string;
  /** `host` without the port (`example.org`, `[::1]`). */
  readonly hostname: string;
  /** Starts with `/`; `//`, `.` and `..` resolved; percent-escapes kept as received. */
  readonly path: string;
  /** Raw query without `?`; `''` when none. */
  readonly query: string;
  /** Raw fragment without `#`; `''` when none. */
  readonly fragment: string;
}

/** Longest URL accepted: 8 KiB matches common proxy header limits, so longer input is not a real page URL. */
export const MAX_URL_LENGTH = 8192;

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// Control characters make no URL (fasthttp refuses them, as Prisme reads URLs). A space does not
// come from a browser's location, but does in a query value (`url=…?q=a+b` on a noscript link):
// it is kept in query and fragment, written %20 in a path (a host with one is no host).
const FORBIDDEN_RE = /[\u0000-\u001f\u007f]/;
const REG_HOST_RE = /^[A-Za-z0-9._~!$&'()*+,;=%-]+(?::(\d{0,5}))?$/;
const IPV6_HOST_RE = /^\[[0-9A-Fa-f:.]+\](?::(\d{0,5}))?$/;

/**
 * Parses an absolute URL (any scheme, a host required) or returns null.
 * Relative (`/foo`, `./x`), host-less (`example.com/foo`, `PING`), empty or over-long input → null.
 */
export function parsePageUrl(s: string): PageUrl | null {
  if (s.length === 0 || s.length > MAX_URL_LENGTH || FORBIDDEN_RE.test(s)) return null;
  let scheme: string;
  let rest: string;
  const m = SCHEME_RE.exec(s);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = s.slice(m[0].length);
  } else if (s.startsWith('//')) {
    scheme = 'http';
    rest = s.slice(2);
  } else {
    return null;
  }

  let fragment = '';
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) {
    fragment = rest.slice(hashAt + 1);
    rest = rest.slice(0, hashAt);
  }
  let query = '';
  const qAt = rest.indexOf('?');
  if (qAt >= 0) {
    query = rest.slice(qAt + 1);
    rest = rest.slice(0, qAt);
  }
  const slashAt = rest.indexOf('/');
  let authority = slashAt >= 0 ? rest.slice(0, slashAt) : rest;
  const rawPath = slashAt >= 0 ? rest.slice(slashAt) : '';

  // User-info ends at the first `@`, as fasthttp reads it (`x@y@host` is the host `y@host`: none).
  const at = authority.indexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority.toLowerCase();
  const hm = IPV6_HOST_RE.exec(host) ?? REG_HOST_RE.exec(host);
  if (!hm) return null;
  if (hm[1] === '') host = host.slice(0, -1); // `example.com:` → `example.com`
  const hostname = hm[1] ? host.slice(0, host.lastIndexOf(':')) : host;
  if (hostname.length === 0) return null;

  // A space in a path is %20, as a browser's location has it and fasthttp writes it back: the same
  // page read from a noscript query (`referrer=…/my+page/`) and from the JS tag's header is one path.
  const path = normalizePath(rawPath.includes(' ') ? rawPath.replaceAll(' ', '%20') : rawPath);
  const href =
    `${scheme}://${host}${path}` + (query ? `?${query}` : '') + (fragment ? `#${fragment}` : '');
  return { href, scheme, host, hostname, path, query, fragment };
}

/** Collapses `//`, drops `.`, resolves `..` (never above the root); keeps a trailing slash. */
export function normalizePath(raw: string): string {
  if (raw === '' || raw === '/') return '/';
  const out: string[] = [];
  const parts = raw.split('/');
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  const last = parts[parts.length - 1];
  const trailing = last === '' || last === '.' || last === '..';
  const joined = '/' + out.join('/');
  return trailing && out.length > 0 ? joined + '/' : joined;
}

/** The same site's root page (`/`, no query or fragment): Prisme retries ping and noscript outbound lookups with it. */
export function rootUrl(u: PageUrl): PageUrl {
  return { ...u, href: `${u.scheme}://${u.host}/`, path: '/', query: '', fragment: '' };
}

/** The referrer's host as stored in `referrerDomain`; `direct` when there is no referrer (Prisme's convention). */
export function referrerDomain(ref: PageUrl | null): string {
  return ref === null ? 'direct' : ref.host;
}

export interface Utm {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

/**
 * UTM fields from the page URL's query as Prisme reads them (fasthttp's Peek): the first value of
 * each name, an empty one being none — a later value of the same name is not read — and `ref`
 * stands in for an empty or missing `utm_source`; `utm_id` is ignored.
 */
export function utmFrom(url: PageUrl): Utm {
  if (url.query === '') return NO_UTM;
  // PageUrl values are shared through the URL cache, so their UTM fields are worth remembering
  // (a weak memo: it goes with the URL). Parsing the query was ~7 % of a pixel hit's CPU.
  let utm = utmMemo.get(url);
  if (!utm) utmMemo.set(url, (utm = Object.freeze(utmFromQuery(url.query))));
  return utm;
}

export const NO_UTM: Utm = Object.freeze({ utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null });
const utmMemo = new WeakMap<PageUrl, Utm>();

function utmFromQuery(query: string): Utm {
  const params = queryParams(query);
  const get = (k: string): string | null => params.get(k) || null;
  return {
    utmSource: get('utm_source') ?? get('ref'),
    utmMedium: get('utm_medium'),
    utmCampaign: get('utm_campaign'),
    utmTerm: get('utm_term'),
    utmContent: get('utm_content'),
  };
}

/** Query string → the first decoded value of each decoded name (empty ones included). Never throws. */
export function queryParams(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryComponent(eq >= 0 ? pair.slice(0, eq) : pair);
    const value = eq >= 0 ? decodeQueryComponent(pair.slice(eq + 1)) : '';
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8'); // non-fatal: bad UTF-8 becomes U+FFFD instead of throwing
const HEX_PAIR_RE = /^[0-9A-Fa-f]{2}$/;

/** `+` → space and `%XX` decoded as UTF-8; malformed escapes (`%zz`, a lone `%`) are kept as written. */
export function decodeQueryComponent(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) out += utf8.decode(new Uint8Array(bytes));
    bytes = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (HEX_PAIR_RE.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    flush();
    out += c === '+' ? ' ' : c;
  }
  flush();
  return out;
}

/** 20k raw URLs, each kept only up to CACHED_URL_MAX characters, and a site's hot pages all fit. */
const URL_CACHE_SIZE = 20_000;
/** Longer URLs (rare: real pages with their UTM tags run to a few hundred) are parsed every time and never held. */
export const CACHED_URL_MAX = 1024;
/**
 * …and at most this many characters of URLs in all. An entry (the URL and its parsed parts) takes
 * ~3.4 B of RSS per character, twice that outside Latin-1: 20k URLs of 1,024 characters measured
 * 67–137 MB; 4M characters is ~14–28 MB, and 20k URLs of 200 characters still fit.
 */
const URL_CACHE_CHARS = 4_000_000;

/** parsePageUrl behind a bounded LRU of `capacity` raw URLs and `maxChars` characters of them. */
export function cachedUrlParser(capacity = URL_CACHE_SIZE, maxChars = URL_CACHE_CHARS): ((s: string) => PageUrl | null) & { size(): number } {
  let chars = 0;
  const cache = new Lru<string, PageUrl | null>(capacity, (url) => (chars -= url.length));
  const parse = (s: string): PageUrl | null => {
    const hit = cache.get(s);
    if (hit !== undefined) return hit;
    if (s.length > CACHED_URL_MAX) return parsePageUrl(s);
    // Kept: the URL and its parts (cut from it) come from a copy, never a view on a longer text (detach.ts).
    const kept = detach(s);
    const parsed = parsePageUrl(kept);
    // PageUrl values are never mutated by their users, so one instance can be shared.
    if (parsed) Object.freeze(parsed);
    cache.set(kept, parsed);
    chars += kept.length;
    while (chars > maxChars && cache.size > 1) cache.evictOldest();
    return parsed;
  };
  return Object.assign(parse, { size: () => cache.size });
}
