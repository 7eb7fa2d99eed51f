/** @module Test helper: a seeded generator of hostile RudderStack pixel queries, and the checks a mapped message must pass. */

// The same seeded PRNG the benchmarks use (mulberry32), so a failure replays exactly.
export { rng as prng } from '../../src/loadtest/ua-corpus.ts';

const ATOMS = [
  'a', 'b', 'properties', 'context', 'page', 'name', 'event', 'anonymousId', 'userId', 'type', 'channel',
  'integrations', 'All', 'sentAt', '__proto__', '0', '1', '2', '17', '-1', ':0', ':x', '', 'a\\.b', '\\', '\\0',
  '*', '?', '|', '#', '@', '!true', '[x]', '%', '%zz', '%4', '%2E', '%E2%82', '%C3%A9', '%F0%9F%98%80', '%FF',
  '+', ';', '%3B', '%22', 'é', '😀', ' ', '=',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export function randomQuery(r: () => number): string {
  const pairs: string[] = [];
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const depth = 1 + Math.floor(r() * 4);
    const key = Array.from({ length: depth }, () => pick(r, ATOMS)).join(r() < 0.9 ? '.' : '');
    const value = Array.from({ length: Math.floor(r() * 3) }, () => pick(r, ATOMS)).join('');
    pairs.push(r() < 0.1 ? key : `${key}=${value}`);
  }
  if (r() < 0.7) pairs.splice(Math.floor(r() * (pairs.length + 1)), 0, 'writeKey=k');
  if (r() < 0.3 && pairs.length > 0) pairs.push(pick(r, pairs)); // repeated key
  return pairs.join('&');
}

/** The bytes of one key or value as Go's QueryUnescape reads it (`+` a space), or null for a malformed escape (Go drops the pair). */
export function goUnescape(s: string): Uint8Array | null {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return null;
  const bytes: number[] = [];
  for (const part of s.split(/(%[0-9a-fA-F]{2})/)) {
    if (part.startsWith('%') && part.length === 3) bytes.push(parseInt(part.slice(1), 16));
    else bytes.push(...new TextEncoder().encode(part.replaceAll('+', ' ')));
  }
  return Uint8Array.from(bytes);
}

/** Bytes as message text: what is not UTF-8 becomes U+FFFD, as Go's JSON encoder writes it (see sameText). */
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * The pairs Go's ParseQuery keeps, each key once (keys are byte strings: `%FF` and `%E2%82` are
 * two keys) with its first value, in query order: a pair whose raw text holds `;` is refused, an
 * empty one skipped, one with a malformed escape dropped. Written apart from
 * src/ingest/go-query.ts, from Go's documented rules, to check it.
 */
export function goQueryPairs(raw: string): { key: string; value: string }[] {
  const seen = new Set<string>();
  const out: { key: string; value: string }[] = [];
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = goUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? new Uint8Array(0) : goUnescape(pair.slice(eq + 1));
    if (key === null || value === null) continue;
    const id = Buffer.from(key).toString('latin1');
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ key: text(key), value: text(value) });
  }
  return out;
}

/**
 * The raw query a request to `/…?${query}` carries in its URL: the URL parser's escaping applied.
 * A `#` stays in it, as Go's ParseRequestURI keeps it for a request target (in-process requests
 * keep the fragment in their URL, and the route takes all after `?`).
 */
export function receivedQuery(query: string): string {
  const href = new URL(`http://h/p?${query}`).href;
  return href.slice(href.indexOf('?') + 1);
}

/** Equal text, where a run of U+FFFD counts as one (decoders replace an invalid sequence with one or with one per byte). */
export function sameText(a: string, b: string): boolean {
  return a.replace(/\ufffd+/g, '\ufffd') === b.replace(/\ufffd+/g, '\ufffd');
}

export function stringLeaves(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringLeaves(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stringLeaves(x, out);
}

/** Fields the server sets whatever the query says, and ones it reads specially (quotes stripped, defaults). */
const SERVER_SET = new Set(['type', 'channel', 'integrations', 'sentAt', 'originalTimestamp', 'receivedAt', 'messageId', 'rudderId', 'request_ip', 'writeKey', 'anonymousId', 'name', 'event']);

/**
 * `query` is the raw query the mapper read (receivedQuery() of what a request sent). Throws
 * unless (1) every string leaf of `message` is the first value of a key Go keeps in `query` (anonymousId's may have lost one pair of surrounding quotes) or one of `serverValues`,
 * and (2) every plain dotted key (`properties.a.b`) whose first part no other key shares lands
 * at its path with its first value. Returns how many keys (2) checked.
 */
export function assertMessageFromQuery(message: Record<string, unknown>, query: string, serverValues: Set<string>): number {
  const pairs = goQueryPairs(query);
  const values = pairs.map((p) => p.value);
  const leaves: string[] = [];
  stringLeaves(message, leaves);
  for (const s of leaves) {
    if (serverValues.has(s)) continue;
    const ok = values.some((v) => sameText(v, s) || (v.length >= 2 && v.startsWith('"') && v.endsWith('"') && sameText(v.slice(1, -1), s)));
    if (!ok) throw new Error(`leaf ${JSON.stringify(s)} is no first value in query ${JSON.stringify(query)}`);
  }
  const head = (k: string) => k.split('.')[0]!;
  const heads = new Map<string, number>();
  for (const { key } of pairs) heads.set(head(key), (heads.get(head(key)) ?? 0) + 1);
  let checked = 0;
  for (const { key, value } of pairs) {
    if (!/^[A-Za-z]+(\.[A-Za-z]+)*$/.test(key) || SERVER_SET.has(head(key)) || heads.get(head(key))! > 1) continue;
    let at: unknown = message;
    for (const part of key.split('.')) at = typeof at === 'object' && at !== null && Object.hasOwn(at, part) ? (at as Record<string, unknown>)[part] : undefined;
    if (typeof at !== 'string' || !sameText(at, value)) throw new Error(`key ${key} holds ${JSON.stringify(at)}, not ${JSON.stringify(value)}, for query ${JSON.stringify(query)}`);
    checked++;
  }
  return checked;
}
