/** @module Raw query string → ordered map of first values, decoded exactly as Go's net/url ParseQuery does. */

// Upstream reads the pixel query with Go's r.URL.Query(); these rules are its observable ones:
// pairs split on '&'; a pair whose raw text holds ';' is rejected (Go ≥ 1.17 "invalid semicolon
// separator", checked before any decoding, so an encoded %3B is fine); an empty pair is skipped;
// '+' is a space; '%' must be followed by two hex digits or the whole pair is dropped.

const NEEDS_DECODE = /[%+\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1; // also for NaN (past the end of the string)
}

function pushUtf8(bytes: number[], cp: number): void {
  if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/**
 * Bytes → string the way Go's JSON encoder sees a Go string: every byte that does not start a
 * valid UTF-8 sequence becomes one U+FFFD (WHATWG's TextDecoder merges a truncated sequence
 * into a single U+FFFD, which would differ from upstream on `%E2%82A`).
 */
export function goUtf8Decode(b: number[]): string {
  let out = '';
  const n = b.length;
  for (let i = 0; i < n; ) {
    const c0 = b[i]!;
    if (c0 < 0x80) {
      out += String.fromCharCode(c0);
      i++;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c0 >= 0xc2 && c0 <= 0xdf) need = 1;
    else if (c0 >= 0xe0 && c0 <= 0xef) {
      need = 2;
      if (c0 === 0xe0) lo = 0xa0;
      else if (c0 === 0xed) hi = 0x9f; // UTF-16 surrogates are not valid UTF-8
    } else if (c0 >= 0xf0 && c0 <= 0xf4) {
      need = 3;
      if (c0 === 0xf0) lo = 0x90;
      else if (c0 === 0xf4) hi = 0x8f;
    }
    let ok = need > 0 && i + need < n;
    if (ok) {
      const c1 = b[i + 1]!;
      ok = c1 >= lo && c1 <= hi;
      for (let k = 2; ok && k <= need; k++) ok = b[i + k]! >= 0x80 && b[i + k]! <= 0xbf;
    }
    if (!ok) {
      out += '\ufffd';
      i++;
      continue;
    }
    let cp = need === 1 ? c0 & 0x1f : need === 2 ? c0 & 0x0f : c0 & 0x07;
    for (let k = 1; k <= need; k++) cp = (cp << 6) | (b[i + k]! & 0x3f);
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/** Go's url.QueryUnescape; null where Go returns an error. */
export function goQueryUnescape(s: string): string | null {
  if (!NEEDS_DECODE.test(s)) return s;
  if (!NON_ASCII.test(s)) {
    // Fast path (5x on a typical user agent): the engine's decoder agrees with Go whenever it
    // succeeds on ASCII input; it throws on bad escapes and on any invalid UTF-8, and then the
    // byte-by-byte path below decides.
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {}
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) return null;
      bytes.push((h << 4) | l);
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else if (c < 0x80) bytes.push(c);
    else {
      // Raw non-ASCII (a caller handing us an already-decoded string): its UTF-8 bytes, as Go
      // would have received them on the wire; a lone surrogate can only be U+FFFD.
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      pushUtf8(bytes, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
    }
  }
  return goUtf8Decode(bytes);
}

/**
 * Query → map of decoded key to its first decoded value, in order of first appearance (upstream
 * iterates a Go map in random order; query order makes ours deterministic).
 */
export function parseGoQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = goQueryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    if (key === null) continue;
    const value = goQueryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (value === null) continue;
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}
