/**
 * @module An Umami `/p/:slug` hit (pixel id, hit URL, Referer, UA, client IP, now) into a canonical `pixel` event, or the reason it is not stored.
 *
 * Identity, cookieless and with no raw IP at rest (decisions.md):
 * - `visitorId` = `pixel_` + hex of the first 8 bytes of HMAC-SHA256(pixel id ‖ IP ‖ UA) keyed
 *   by the **daily** salt (`SaltKeeper`, the one Prisme visitor ids use). Umami derives its
 *   session id the same way from pixel id + IP + UA + a rotating (monthly) salt; the daily salt
 *   makes ids unlinkable from one UTC day to the next, as Prisme's are. Without the salt (deleted
 *   after two days) an id cannot be recomputed from a guessed IP. A keyed cryptographic hash: ids
 *   were once xxHash64 seeded from the salt, and a security audit recovered that seed from one
 *   exported row (xxHash64 of a short input is a chain of invertible steps in its seed), then the
 *   address behind each id by trying every IPv4 address.
 * - `sessionId` = a UUID (version 8, "custom", RFC 9562) from the other 24 bytes of that HMAC and
 *   the clock hour, i.e. deterministic per visitor and UTC hour, as Umami's visit id for pixel hits
 *   (the pixel route sends no cache token, so Umami's 30-minute visit cache never applies to it).
 *   Those 24 bytes appear in no row, so the session id's fast hash has no known input to undo.
 *
 * What is recorded follows upstream.md §2.8: `url` is the full request URL of the hit, hostname
 * (leading `www.` removed, no port), path and query come from it, UTM fields from its query;
 * referrer from the Referer header (`direct` when none or unparsable: the hit is still stored,
 * where Umami would silently drop it); bots are not stored.
 *
 * Two steps, on two threads: deferPixelHit() on the request thread (ids, geo: the address stays
 * there), pixelHitEvent() where the event is written (UA, URLs, bots; pending-event.ts).
 */
import { formatUuid, uuidv7, writeHex } from '../lib/uuid.ts';
import { hmacSha256 } from '../lib/hmac-sha256.ts';
import { writeUtf8 } from '../lib/write-utf8.ts';
import type { DropReason } from './drop-reasons.ts';
import { blankEvent, putClient, putGeo, putUtm, type CanonicalEvent } from './event.ts';
import type { GeoLocation, GeoReader } from './geo.ts';
import { MAX_URL_LENGTH, NO_UTM, type PageUrl, type Utm } from './url.ts';
import { isoTime } from '../lib/clock.ts';
import { cutUserAgent, type ClientHints, type UserAgentParser } from './user-agent.ts';
import type { SaltKeeper } from './visitor-id.ts';

/** What the request thread needs for a hit: geo and the daily salt stay there (the raw IP never leaves it). */
export interface PixelHitDeps {
  geo: GeoReader;
  salts: SaltKeeper;
}

/** What building the event needs, on whichever thread writes it. */
export interface PixelEventDeps {
  /** parsePageUrl behind a bounded cache. */
  parseUrl(s: string): PageUrl | null;
  ua: UserAgentParser;
}

export interface PixelHit {
  pixelId: string;
  /** The full request URL of the hit (`https://host/p/slug?utm_source=…`). */
  url: string;
  referer: string | null;
  userAgent: string;
  hints?: ClientHints;
  /** The derived client address (decisions.md "Client IP"); used in memory only. */
  ip: string;
  nowMs: number;
}

/**
 * A hit as the request thread hands it to the buffer (plain data, JSON across to the writer
 * thread): ids and geo done, so the address stays behind; parsing the UA and URLs and building
 * the event happen where it is written. The answer is the same GIF either way, bots included.
 */
export interface UmamiPixelHit {
  deferred: 'umami-pixel';
  pixelId: string;
  url: string;
  referer: string | null;
  userAgent: string;
  hints?: ClientHints;
  nowMs: number;
  visitorId: string;
  sessionId: string;
  geo: GeoLocation;
  /** A mail image proxy fetched it and the operator counts those as opens (`--pixel-mail-proxies`): not a bot. */
  mailProxy?: true;
}

/**
 * Mail image proxies: Gmail fetches a mail's images through GoogleImageProxy when the reader
 * opens it (`… (via ggpht.com GoogleImageProxy)`), Yahoo through YahooMailProxy. For a newsletter
 * pixel such a fetch is the open; by the bot rule (decisions.md), as by Umami's, it is a bot.
 */
const MAIL_PROXY = /GoogleImageProxy|YahooMailProxy/;

export function isMailProxy(userAgent: string): boolean {
  return MAIL_PROXY.test(userAgent);
}

const HOUR_MS = 3_600_000;

/**
 * The bytes hashed are written into reused buffers (no string concatenation to flatten, no
 * bigint formatting): pixel id ‖ 0 ‖ IP ‖ 0 ‖ UA as UTF-8 for the HMAC; its last 24 bytes and
 * the clock hour for the session.
 */
let input = Buffer.alloc(1024);
const HOUR_INPUT = new Uint8Array(32);
const HOUR_VIEW = new DataView(HOUR_INPUT.buffer);
const SESSION_BYTES = new Uint8Array(16);
const SESSION_VIEW = new DataView(SESSION_BYTES.buffer);
const VISITOR_TEXT = Buffer.from('pixel_0000000000000000', 'latin1');

export interface PixelIds {
  /** `pixel_` + 16 hex digits; the same for one pixel, address and UA all (UTC) day. */
  visitorId: string;
  /** A version-8 UUID from (visitor, UTC hour): the same for every hit of a visitor within the hour. */
  sessionId: string;
}

/** Both ids of a hit (see the module notes). */
export function pixelIds(salt: Uint8Array, pixelId: string, ip: string, ua: string, nowMs: number): PixelIds {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const need = (pixelId.length + ip.length + ua.length + 2) * 3;
  if (need > input.length) input = Buffer.alloc(need * 2);
  let n = writeUtf8(pixelId, input, 0);
  input[n++] = 0;
  n = writeUtf8(ip, input, n);
  input[n++] = 0;
  n = writeUtf8(ua, input, n);
  const mac = hmacSha256(salt, input.subarray(0, n));
  writeHex(mac.subarray(0, 8), VISITOR_TEXT, 6);
  const visitorId = VISITOR_TEXT.toString('latin1');

  HOUR_INPUT.set(mac.subarray(8, 32));
  HOUR_VIEW.setFloat64(24, Math.floor(nowMs / HOUR_MS));
  SESSION_VIEW.setBigUint64(0, Bun.hash.xxHash64(HOUR_INPUT, 1n));
  SESSION_VIEW.setBigUint64(8, Bun.hash.xxHash64(HOUR_INPUT, 2n));
  SESSION_BYTES[6] = (SESSION_BYTES[6]! & 0x0f) | 0x80;
  SESSION_BYTES[8] = (SESSION_BYTES[8]! & 0x3f) | 0x80;
  return { visitorId, sessionId: formatUuid(SESSION_BYTES) };
}

/** The request thread's part: the hit's ids (daily salt) and place; with `mailProxies`, whether a mail image proxy fetched it. */
export function deferPixelHit(d: PixelHitDeps, hit: PixelHit, mailProxies = false): UmamiPixelHit {
  const ids = pixelIds(d.salts.saltFor(hit.nowMs), hit.pixelId, hit.ip, hit.userAgent, hit.nowMs);
  // The ids hash the whole User-Agent; the writer thread only parses it, which reads 500 characters.
  const deferred: UmamiPixelHit = {
    deferred: 'umami-pixel', pixelId: hit.pixelId, url: hit.url, referer: hit.referer, userAgent: cutUserAgent(hit.userAgent), hints: hit.hints,
    nowMs: hit.nowMs, visitorId: ids.visitorId, sessionId: ids.sessionId, geo: d.geo.lookup(hit.ip),
  };
  if (mailProxies && isMailProxy(hit.userAgent)) deferred.mailProxy = true;
  return deferred;
}

/** The hit's canonical `pixel` event, or why it is not stored (a bot; a URL no browser sends). */
export function pixelHitEvent(d: PixelEventDeps, hit: UmamiPixelHit): CanonicalEvent | DropReason {
  const client = d.ua.parse(hit.userAgent, hit.hints);
  if (client.isBot && hit.mailProxy !== true) return 'bot';
  const url = d.parseUrl(withinUrlLength(hit.url));
  // The URL is the request's own (given a host when it had none), so this only fails for a Host header no browser sends.
  if (!url) return 'invalid-input';
  const ref = hit.referer ? umamiReferrer(d, withinUrlLength(hit.referer)) : null;
  const e = blankEvent(uuidv7(hit.nowMs), isoTime(hit.nowMs), 'pixel', 'pixel');
  e.pixelId = hit.pixelId;
  e.url = url.href;
  e.hostname = url.hostname.startsWith('www.') ? url.hostname.slice(4) : url.hostname;
  // Umami stores the path decoded (safeDecodeURI: as it is when it cannot be); the URL stays as requested.
  e.path = safeDecodeUri(url.path);
  e.query = url.query || null;
  e.referrer = ref?.href ?? null;
  e.referrerDomain = ref ? umamiDomain(ref) : null;
  e.visitorId = hit.visitorId;
  e.sessionId = hit.sessionId;
  putClient(e, client);
  putGeo(e, hit.geo);
  putUtm(e, umamiUtm(url));
  return e;
}

/**
 * A URL longer than the parser takes (8 KiB) cut to that length, a half escape at the cut
 * dropped: Umami stores such a hit with its URL parts cut (to 500 characters), where the whole
 * URL would be refused here and the hit lost, or its referrer forgotten.
 */
function withinUrlLength(url: string): string {
  return url.length <= MAX_URL_LENGTH ? url : url.slice(0, MAX_URL_LENGTH).replace(/%[0-9a-fA-F]?$/, '');
}

/**
 * The Referer as a URL. A host name beyond ASCII (`https://münchen.de/`, which browsers send as
 * punycode but other clients may not) is no host to the URL reader Prisme's rules need; Umami
 * reads the Referer with WHATWG's URL, which writes such a host as its punycode, and so it is
 * read here, rather than the referrer dropped.
 */
function umamiReferrer(d: PixelEventDeps, referer: string): PageUrl | null {
  const ref = d.parseUrl(referer);
  if (ref || /^[\x00-\x7f]*$/.test(referer)) return ref;
  let whatwg: URL;
  try {
    whatwg = new URL(referer);
  } catch {
    return null;
  }
  return whatwg.protocol === 'http:' || whatwg.protocol === 'https:' ? d.parseUrl(whatwg.href) : null;
}

/** Umami's referrer domain: the host name without port or a leading `www.`; none for localhost. */
function umamiDomain(ref: PageUrl): string | null {
  const h = ref.hostname;
  if (h === 'localhost') return null;
  return h.startsWith('www.') ? h.slice(4) : h;
}

/**
 * Umami's UTM fields (`searchParams.get('utm_…')` of the hit URL): the first value of each,
 * even when a later one is filled; an empty value is none. No `ref` fallback (that is Prisme's).
 */
function umamiUtm(url: PageUrl): Utm {
  if (url.query === '') return NO_UTM;
  let utm = utmMemo.get(url);
  if (!utm) {
    // What Umami's send reads them with; an empty value is none.
    const p = new URLSearchParams(url.query);
    const get = (k: string): string | null => p.get(k) || null;
    utm = Object.freeze({ utmSource: get('utm_source'), utmMedium: get('utm_medium'), utmCampaign: get('utm_campaign'), utmTerm: get('utm_term'), utmContent: get('utm_content') });
    utmMemo.set(url, utm);
  }
  return utm;
}
/** A weak memo: PageUrl values come from the URL cache, and a pixel's hit URLs repeat. */
const utmMemo = new WeakMap<PageUrl, Utm>();

/** decodeURI, or the text as it is where that throws (a lone `%`, bad UTF-8): Umami's safeDecodeURI. */
function safeDecodeUri(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}
