/** @module RudderStack pixel query string → the event message upstream builds, plus the fields its gateway adds. */
import { formatUuid, uuidv4 } from '../lib/uuid.ts';
import { truncateIp } from '../lib/ip.ts';
import { stringifyAny } from './go-json.ts';
import { parseGoQuery, queryGet } from './go-query.ts';
import { PAD_BUDGET, parseSjsonPathCached, setSjsonPath, type JsonObject } from './sjson-path.ts';
import type { ClientHints, ParsedUserAgent, UserAgentParser } from './user-agent.ts';

// Facts from rudder-server gateway/handle_http_pixel.go and gateway/handle.go (upstream.md
// §1.2–1.3). Where upstream is random or unbounded we choose, deterministically:
// - keys are applied in query order (upstream: Go map order), so with `properties=flat` and
//   `properties.x=1` the later one in the query wins: a string is replaced by the object
//   built through it, an object by the string set over it;
// - a key with an unescaped `* ? | # @` is dropped; upstream runs it as a gjson query that
//   may overwrite an existing match (`sent*=x` rewrites sentAt) — a client can set those
//   fields directly anyway, and the gjson query language is not worth reproducing;
// - array padding is capped per message (sjson-path.ts PAD_BUDGET), paths at 64 parts;
// - JS objects list integer-like keys ("0", "42") first, so only there may key order differ
//   from upstream's text; the content is the same.

export type PixelType = 'page' | 'track';

export type PixelMapping =
  | { writeKey: string | null; message: JsonObject }
  | { writeKey: string | null; drop: 'empty-event' };

// Requests arriving in the same millisecond share their timestamps: one-entry caches save
// ~0.3 µs (goTimeJson) and ~0.2 µs (toISOString) per message.
let goTimeMs = NaN;
let goTimeText = '';
let isoMs = NaN;
let isoText = '';

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), UTC, from ms. */
export function goTimeJson(nowMs: number): string {
  if (nowMs !== goTimeMs) {
    const iso = isoTime(nowMs); // always .SSS
    const frac = iso.slice(20, 23).replace(/0+$/, '');
    goTimeText = iso.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
    goTimeMs = nowMs;
  }
  return goTimeText;
}

/** `new Date(ms).toISOString()`, cached for the last millisecond asked. */
function isoTime(nowMs: number): string {
  if (nowMs !== isoMs) {
    isoText = new Date(nowMs).toISOString();
    isoMs = nowMs;
  }
  return isoText;
}

// Upstream strips quotes with Go regexp `^"(.*)"$`; Go's `.` matches everything but \n.
const QUOTED = /^"([^\n]*)"$/;

/**
 * Maps a pixel query (raw, without `?`) to the message upstream forwards. `writeKey` is null
 * only when the query has no `writeKey` key at all; it is never part of the message.
 */
export function pixelQueryToMessage(rawQuery: string, type: PixelType, nowMs: number): PixelMapping {
  const q = parseGoQuery(rawQuery);
  const { keys, values } = q;
  const wk = keys.indexOf('writeKey');
  const writeKey = wk < 0 ? null : values[wk]!;

  const t = goTimeJson(nowMs);
  const message: JsonObject = {
    channel: 'web',
    integrations: { All: true },
    originalTimestamp: t,
    sentAt: t,
  };
  const ai = keys.indexOf('anonymousId');
  if (ai >= 0 && values[ai]!.charCodeAt(0) === 0x22) values[ai] = values[ai]!.replace(QUOTED, '$1'); // keeps its place

  const budget = { left: PAD_BUDGET };
  for (let i = 0; i < keys.length; i++) {
    const parts = i === wk ? null : parseSjsonPathCached(keys[i]!);
    if (parts) setSjsonPath(message, parts, values[i]!, budget);
  }
  message.type = type; // upstream sets path "type": overwrites in place or appends

  if (type === 'page') {
    const name = queryGet(q, 'name');
    if (name !== undefined) message.name = name === '' ? 'Unknown Page' : name;
  } else if (type === 'track') {
    const event = queryGet(q, 'event');
    if (event === '') return { writeKey, drop: 'empty-event' };
    if (event !== undefined) message.event = event;
  }
  return { writeKey, message };
}

// Go's unicode.IsSpace, which strings.TrimSpace uses: JS's trim() also strips U+FEFF and
// keeps U+0085, so it would change rudderId for such ids.
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const GO_TRIM = new RegExp(`^${GO_SPACE}|${GO_SPACE}$`, 'g');

function goTrimSpace(s: string): string {
  if (s === '' || (isPrintableAscii(s.charCodeAt(0)) && isPrintableAscii(s.charCodeAt(s.length - 1)))) return s;
  return s.replace(GO_TRIM, '');
}

/** `!`..`~`: never a Go space, so a string starting and ending with one has nothing to trim. */
function isPrintableAscii(c: number): boolean {
  return c > 0x20 && c < 0x7f;
}


const MD5_OUT = new Uint8Array(16); // reused: formatUuid copies the bytes out at once

/**
 * rudder-go-kit's sanitize.Unicode, which the gateway runs on ids before trimming them: drops
 * every character Go's unicode.IsPrint refuses (controls, format characters such as U+200B and
 * U+FEFF, spaces other than U+0020, private use, unassigned) and a list of invisible ones it
 * accepts (fillers, joiners, U+2800…).
 */
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]|[\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0]/gu;

export function sanitizeUnicode(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII throughout (the usual id) is kept as it is.
    if (c < 0x20 || c > 0x7e) return s.replace(NOT_PRINTABLE, '');
  }
  return s;
}

/**
 * An id as the gateway compares and hashes it: sanitised, then trimmed. A lone surrogate
 * (`"\ud800"` in the JSON) is U+FFFD first, as gjson decodes it, and so kept as printable.
 */
const cleanId = (v: unknown): string => goTrimSpace(sanitizeUnicode(stringifyAny(v).toWellFormed()));

/**
 * RudderStack's rudderId: MD5 of `userId:anonymousId` (each sanitised and trimmed: cleanId) as
 * a UUID with the version-4 and RFC 4122 variant bits forced.
 */
export function rudderId(userId: string, anonymousId: string): string {
  const b = MD5_OUT;
  Bun.MD5.hash(cleanId(userId) + ':' + cleanId(anonymousId), b); // 150 ns; a CryptoHasher per call: 450 ns
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return formatUuid(b);
}

/** The SDK's `context.userAgent` when it sent one: it wins over the request's User-Agent header. */
function sdkUserAgent(message: JsonObject): string | null {
  const ctx = message.context;
  return typeof ctx === 'object' && ctx !== null && typeof (ctx as JsonObject).userAgent === 'string' ? ((ctx as JsonObject).userAgent as string) : null;
}

/**
 * The message's client: the SDK's `context.userAgent` when it sent one, else the request's, with
 * the request's client hints (Sec-CH-UA-*) as Prisme and pixel hits are read, but only for the
 * request's own browser: a server SDK's context.userAgent is its user's, not the caller's.
 */
export function messageClient(ua: UserAgentParser, message: JsonObject, requestUserAgent: string, hints: ClientHints | undefined): ParsedUserAgent {
  const sdk = sdkUserAgent(message);
  return ua.parse(sdk ?? requestUserAgent, sdk === null || sdk === requestUserAgent ? hints : undefined);
}

/**
 * The id the gateway files a message under (buildUserID): the anonymousId, or the userId when the
 * anonymousId is missing or blank once sanitised and trimmed; null when neither is there.
 */
export function gatewayVisitor<T>(message: JsonObject, anonymousId: T | null, userId: T | null): T | null {
  return cleanId(message.anonymousId) !== '' ? anonymousId : userId;
}

/** Upstream drops a message with neither (400 "request neither has anonymousId nor userId"). */
export function hasIdentity(message: JsonObject): boolean {
  return cleanId(message.anonymousId) !== '' || cleanId(message.userId) !== '';
}

export interface ServerFieldOptions {
  nowMs: number;
  /** the derived client address (decisions.md "Client IP"); truncation is the caller's job */
  requestIp: string;
  /**
   * --keep-ip: a `request_ip` or `context.ip` the client sent is kept whole. Otherwise each is
   * truncated like the derived address (and '' when it is not an address): no raw IP at rest.
   */
  keepIp?: boolean;
  messageIdFactory?: () => string;
}

/** Adds what the gateway adds, in its order: messageId, rudderId, receivedAt, request_ip. */
export function addServerFields(message: JsonObject, opts: ServerFieldOptions): void {
  // The gateway reads messageId as a string only: a number, object or boolean is none.
  const given = typeof message.messageId === 'string' ? cleanId(message.messageId) : '';
  if (given === '') message.messageId = (opts.messageIdFactory ?? uuidv4)();
  else if (given !== message.messageId) message.messageId = given;

  message.rudderId = rudderId(stringifyAny(message.userId), stringifyAny(message.anonymousId));
  // Upstream layout 2006-01-02T15:04:05.000Z07:00 in UTC: exactly toISOString().
  if (!Object.hasOwn(message, 'receivedAt')) message.receivedAt = isoTime(opts.nowMs);
  if (!Object.hasOwn(message, 'request_ip')) message.request_ip = opts.requestIp;
  else if (!opts.keepIp) message.request_ip = typeof message.request_ip === 'string' ? truncateIp(message.request_ip) : '';
  // context.ip is where the SDKs and servers put a user's address: truncated too (no raw IP at rest).
  const ctx = message.context;
  if (!opts.keepIp && typeof ctx === 'object' && ctx !== null && !Array.isArray(ctx) && Object.hasOwn(ctx, 'ip')) {
    const ip = (ctx as JsonObject).ip;
    (ctx as JsonObject).ip = typeof ip === 'string' ? truncateIp(ip) : '';
  }
}
