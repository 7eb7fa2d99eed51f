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

/** Every decoded key and value that Go would accept, by the lenient JS decoder (a superset check). */
export function decodedPieces(q: string): Set<string> {
  const out = new Set<string>();
  for (const pair of q.split('&')) {
    for (const piece of pair.split('=')) {
      try {
        out.add(decodeURIComponent(piece.replaceAll('+', ' ')));
      } catch {
        // invalid escapes or UTF-8: compare loosely below
      }
    }
    const eq = pair.indexOf('=');
    if (eq < 0) out.add(''); // a key without '=' has the empty value
    else {
      try {
        out.add(decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' ')));
      } catch {}
    }
  }
  return out;
}

export function stringLeaves(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringLeaves(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stringLeaves(x, out);
}


/** Throws unless every string leaf of `message` is a decoded piece of `query` or one of `serverValues`. */
export function assertLeavesFromQuery(message: unknown, query: string, serverValues: Set<string>): void {
  const pieces = decodedPieces(query);
  const leaves: string[] = [];
  stringLeaves(message, leaves);
  for (const s of leaves) {
    if (serverValues.has(s)) continue;
    // anonymousId loses its quotes: a substring of a decoded value; invalid UTF-8 decodes to U+FFFD.
    const ok = pieces.has(s) || [...pieces].some((p) => p.includes(s)) || s.includes('\ufffd');
    if (!ok) throw new Error(`leaf ${JSON.stringify(s)} not from query ${JSON.stringify(query)}`);
  }
}
