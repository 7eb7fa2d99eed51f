/** @module RudderStack pixel query string → the event message upstream builds, plus the fields its gateway adds. */
import { isRawNumber } from '../lib/exact-json.ts';
import { formatUuid, uuidv4 } from '../lib/uuid.ts';
import { truncateIp } from '../lib/ip.ts';
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

/**
 * An id as the gateway reads it for rudderId and its checks: rudder-go-kit's stringify.Any of
 * the value gjson decoded (gateway/handle.go). A string as it is, missing or null as '', a
 * boolean as its text, a number as Go's json.Marshal writes a float64: the shortest text that
 * reads back (String() agrees, but for `-0`), so a 20-digit id sent as a number is read rounded,
 * as upstream reads it (the payload keeps its digits: exact-json.ts), and a RawNumber likewise;
 * ±Inf as fmt.Sprint writes it, json.Marshal refusing them. Objects and arrays as json.Marshal
 * writes what gjson decoded (goJson). No SDK sends such an id, but a hand-made call may.
 */
export function stringifyAny(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (isRawNumber(v)) return goFloat(Number(v.rawJSON));
  if (typeof v === 'object') {
    // The gateway reads an id several times (identity check, rudderId, the id column): an object is written once.
    let text = goJsonOf.get(v);
    if (text === undefined) goJsonOf.set(v, (text = goJson(v)));
    return text;
  }
  return String(v);
}
const goJsonOf = new WeakMap<object, string>();

/**
 * A decoded JSON value as Go's encoding/json writes it: an object's keys sorted by their bytes
 * (UTF-8, so by code point), every number as a float64 (goFloat, the ones kept as sent too),
 * strings as goString escapes them. Written from a stack of its own, not by recursion: an id
 * nested 10,000 deep (the body parser's limit) must not overflow the request thread's stack.
 * (A nested 1e400, a float64 json.Marshal refuses, is written +Inf, where Go would fall back to
 * fmt.Sprint's `map[…]`.)
 */
export function goJson(root: unknown): string {
  const parts: string[] = [];
  const todo: unknown[] = [root];
  while (todo.length) {
    const v = todo.pop();
    if (v instanceof Literal) {
      parts.push(v.text);
      // An object's key: the string under it on the stack, then its value.
      if (v === NEXT_KEY || v === FIRST_KEY) parts.push(goString(todo.pop() as string), ':');
    }
    else if (isScalar(v)) parts.push(goScalar(v));
    else if (Array.isArray(v)) {
      parts.push('[');
      todo.push(CLOSE_ARRAY);
      for (let i = v.length - 1; i >= 0; i--) {
        todo.push(v[i]);
        if (i > 0) todo.push(COMMA);
      }
    } else {
      const o = v as Record<string, unknown>;
      const { keys, values } = goMapOrder(o);
      const valueOf = (k: string) => (values ? values.get(k) : o[k]);
      if (Object.values(o).every(isScalar)) {
        // Nothing nested (the usual id object, and a crafted one of 200k keys): written at once.
        let text = '{';
        for (let i = 0; i < keys.length; i++) text += `${i > 0 ? ',' : ''}${goString(keys[i]!)}:${goScalar(valueOf(keys[i]!))}`;
        parts.push(text + '}');
        continue;
      }
      parts.push('{');
      todo.push(CLOSE_OBJECT);
      for (let i = keys.length - 1; i >= 0; i--) todo.push(valueOf(keys[i]!), keys[i], i > 0 ? NEXT_KEY : FIRST_KEY);
    }
  }
  return parts.join('');
}

/** Anything but an array or an object that is not a number kept as sent. */
const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object' || isRawNumber(v);

function goScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return goFloat(Number((v as { rawJSON: string }).rawJSON));
}

/** Text goJson writes as it is (its stack also holds the values still to write, strings among them); a key marker takes the key below it. */
class Literal {
  constructor(readonly text: string) {}
}
const COMMA = new Literal(',');
const CLOSE_ARRAY = new Literal(']');
const CLOSE_OBJECT = new Literal('}');
const FIRST_KEY = new Literal('');
const NEXT_KEY = new Literal(',');

/**
 * An object's keys as the Go map gjson decodes it into holds them, in json.Marshal's order: a key
 * with a lone surrogate is U+FFFD there, so two such keys are one (the later value wins, `values`),
 * and keys sort by code point (UTF-16 order unless a key holds a surrogate).
 */
function goMapOrder(o: Record<string, unknown>): { keys: string[]; values: Map<string, unknown> | null } {
  const keys = Object.keys(o);
  // One test over all the keys: a regular expression per key cost more than the sort.
  if (!SURROGATE.test(keys.join(''))) return { keys: keys.sort(), values: null };
  if (keys.every((k) => k.isWellFormed())) return { keys: keys.sort(byCodePoint), values: null };
  const values = new Map<string, unknown>();
  for (const k of keys) values.set(k.toWellFormed(), o[k]);
  return { keys: [...values.keys()].sort(byCodePoint), values };
}
const SURROGATE = /[\ud800-\udfff]/;

/**
 * Order of the strings' UTF-8 bytes, which is their code points' order. UTF-16 units order the
 * same but for a surrogate (a code point above U+FFFF) against U+E000–U+FFFF: the first unit
 * that differs is lifted so that surrogates come last.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}
const codePointRank = (unit: number): number => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/**
 * A string as encoding/json writes it (Go 1.22 and later): `"` and `\` escaped; \b \f \n \r \t
 * short; other controls, `<`, `>`, `&`, U+2028 and U+2029 as \u00xx / \u2028; a lone surrogate
 * (a `\ud800` escape, which gjson decodes as U+FFFD) as U+FFFD itself.
 */
export function goString(s: string): string {
  return `"${s.toWellFormed().replace(GO_ESCAPED, goEscape)}"`;
}
const GO_ESCAPED = /["\\\x00-\x1f<>&\u2028\u2029]/g;
const GO_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const goEscape = (c: string): string => GO_SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A float64 as json.Marshal writes it (fmt.Sprint for the values it refuses). */
export function goFloat(n: number): string {
  if (Number.isFinite(n)) return Object.is(n, -0) ? '-0' : String(n);
  return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
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
