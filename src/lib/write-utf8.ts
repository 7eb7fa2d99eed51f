/** @module Writing a string's UTF-8 bytes into a buffer at an offset, with no string or view made for ASCII. */

const enc = new TextEncoder();

/**
 * `s` as UTF-8 into `out` from `at`; returns where it ends. `out` must have room for
 * `s.length * 3` bytes. ASCII (ids, addresses, nearly every user agent) is copied by hand; from
 * the first other character on, the rest goes through TextEncoder. Writing the parts of a key
 * one by one this way costs less than concatenating them and encoding the result (the
 * concatenation has to be flattened into a new string first).
 */
export function writeUtf8(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return at + enc.encodeInto(s.slice(i), out.subarray(at)).written;
    out[at++] = c;
  }
  return at;
}
