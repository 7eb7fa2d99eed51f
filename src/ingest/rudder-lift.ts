/** @module A mapped RudderStack message → the canonical event columns it carries (strings or null). */
import { isRawNumber } from '../lib/exact-json.ts';
import { detach } from '../lib/detach.ts';
import type { JsonObject } from './sjson-path.ts';
import { stringifyAny } from './go-json.ts';
import { NO_UTM, type Utm } from './url.ts';
import { Lru } from '../lib/lru.ts';

export interface RudderFields {
  anonymousId: string | null;
  userId: string | null;
  /** page: `name`; track: `event` */
  name: string | null;
  url: string | null;
  path: string | null;
  referrer: string | null;
  title: string | null;
  /** from `url` */
  hostname: string | null;
  /** from `url`, without the `?`; null when empty */
  query: string | null;
  /** from `url`: its path (the `path` column when the message gives none) */
  urlPath: string | null;
  /** from `url`: its utm_* parameters (when the message has no context.campaign) */
  urlUtm: Utm;
  properties: JsonObject | null;
  userAgent: string | null;
  event: string | null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * An id column: the id as the gateway reads it (stringifyAny), but a number a double cannot hold
 * as sent: two 20-digit ids that differ in their last digits stay two visitors (their rudderId,
 * upstream's, is the rounded number's).
 */
function idText(v: unknown): string | null {
  return v === undefined || v === null ? null : isRawNumber(v) ? v.rawJSON : stringifyAny(v);
}

function obj(v: unknown): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isRawNumber(v) ? (v as JsonObject) : null;
}

/**
 * Values are strings in a pixel message, but a query can turn any of them into an object or
 * array (`context.page.url.0=x`); such a value is not a column value and reads as null.
 */
export function liftRudderFields(message: JsonObject): RudderFields {
  const context = obj(message.context);
  const page = obj(context?.page);
  const properties = obj(message.properties);
  // The pixel docs allow page basics under context.page.* or properties.*; upstream copies
  // neither way, so we read context.page first (what the AMP SDK sends), then properties.
  const pick = (k: string): string | null => str(page?.[k]) ?? str(properties?.[k]);
  const url = pick('url');
  const u = url === null ? null : urlParts(url);
  const event = str(message.event);
  return {
    // Ids as the gateway reads them for rudderId: an SDK may send a database id as a number.
    anonymousId: idText(message.anonymousId),
    userId: idText(message.userId),
    name: message.type === 'track' ? event : str(message.name),
    url,
    path: pick('path'),
    referrer: pick('referrer'),
    title: pick('title'),
    hostname: u?.hostname ?? null,
    query: u?.query ?? null,
    urlPath: u?.pathname ?? null,
    urlUtm: u?.utm ?? NO_UTM,
    properties,
    userAgent: str(context?.userAgent),
    event,
  };
}

/** What the canonical columns take from a URL, as the WHATWG parser reads it (`URL.parse`). */
export interface UrlParts {
  /** null when empty */
  hostname: string | null;
  /** host with its port; null when empty */
  host: string | null;
  pathname: string;
  /** the search without `?`; null when empty */
  query: string | null;
  utm: Utm;
}

/**
 * `URL.parse(s)` reduced to the parts above, remembered for the last few thousand URLs: the pages
 * and referrers of a site repeat, and a WHATWG parse plus a URLSearchParams cost ~1.5 µs a hit.
 */
export function urlParts(s: string): UrlParts | null {
  const hit = partsCache.get(s);
  if (hit !== undefined) return hit;
  const u = URL.parse(s);
  let parts: UrlParts | null = null;
  if (u) {
    const query = u.search.length > 1 ? u.search.slice(1) : null;
    parts = Object.freeze({ hostname: u.hostname || null, host: u.host || null, pathname: u.pathname, query, utm: query ? utmOf(new URLSearchParams(query)) : NO_UTM });
  }
  // Long URLs are parsed every time rather than held: the cache stays a few MB at most. A kept
  // URL is a copy: it may be cut from a query of up to 512 KiB (detach.ts).
  if (s.length <= 2048) partsCache.set(detach(s), parts);
  return parts;
}

const partsCache = new Lru<string, UrlParts | null>(4096);

/** An empty value is none, as Prisme and pixel hits read UTM fields (`utm_medium=` stores null, not ""). */
function utmOf(q: URLSearchParams): Utm {
  return Object.freeze({
    utmSource: q.get('utm_source') || null,
    utmMedium: q.get('utm_medium') || null,
    utmCampaign: q.get('utm_campaign') || null,
    utmTerm: q.get('utm_term') || null,
    utmContent: q.get('utm_content') || null,
  });
}
