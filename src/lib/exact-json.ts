/**
 * @module Numbers kept as sent. Prisme stores each custom-event property's raw JSON text; a
 * double cannot give back every number's text (`1e400` parses to Infinity and is written `null`,
 * `12345678901234567890` loses its last digits, `1.50` comes back `1.5`). A parsed value whose
 * text held such a number keeps that text beside it (exactJsonText), compacted: JSON.stringify's
 * copy of it would not be the number sent. Linear scans, no recursion and no JSON.parse reviver
 * (one costs ~14× a plain parse and overflows the stack ~4,000 levels deep).
 */

import { detach } from './detach.ts';
import { BACKSLASH, QUOTE } from './json-depth.ts';

/** Parsed values and the exact text to store for each (only those that need one). */
const EXACT_TEXT = new WeakMap<object, string>();

/** The text to store for `value` instead of JSON.stringify's, if its numbers need their own. */
export function exactJsonText(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? EXACT_TEXT.get(value) : undefined;
}

/** Records `text` (valid, compact JSON of `value`) as the text to store for `value`. */
export function keepExactText(value: object, text: string): void {
  EXACT_TEXT.set(value, text);
}

const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** A character that starts a JSON number token (outside strings): a minus or a digit. */
export function isNumberStart(c: number): boolean {
  return c === MINUS || (c >= ZERO && c <= NINE);
}

/** A character of a JSON number token: digits, sign, point, exponent. */
export function isNumberChar(c: number): boolean {
  return (c >= ZERO && c <= NINE) || c === MINUS || c === 43 || c === DOT || c === 101 || c === 69;
}

/**
 * Whether the number token text[from, to) is not what String() writes for its value. An integer
 * of up to 15 characters always comes back (but `-0`); only a point, an exponent or more
 * characters are worth a conversion.
 */
export function numberNeedsText(text: string, from: number, to: number): boolean {
  if (to - from <= 15) {
    let plain = true;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === DOT || c === 101 || c === 69) {
        plain = false;
        break;
      }
    }
    if (plain) return to - from === 2 && text.charCodeAt(from) === MINUS && text.charCodeAt(from + 1) === ZERO;
  }
  const token = text.slice(from, to);
  const n = Number(token);
  return !Number.isFinite(n) || String(n) !== token;
}

/** Whether valid JSON `text` holds a number that needs its text (numberNeedsText); strings are skipped. */
export function jsonNeedsExactText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (isNumberStart(c)) {
      let j = i + 1;
      while (j < text.length && isNumberChar(text.charCodeAt(j))) j++;
      if (numberNeedsText(text, i, j)) return true;
      i = j - 1;
    }
  }
  return false;
}

/**
 * Valid JSON `text` without the white space between its tokens: strings and numbers as written,
 * on one line (an NDJSON line holds it). A string of its own, flat: `text` is usually a slice of a
 * request body of up to 4 MiB, and a slice, or a rope of slices, would keep the whole body alive
 * as long as the event waits in the write buffer (which counts only the text kept).
 */
export function compactJson(text: string): string {
  const parts: string[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (i > run) parts.push(text.slice(run, i));
      run = i + 1;
    }
  }
  if (text.length > run) parts.push(text.slice(run));
  // join() of two or more parts builds a new flat string; a single part is still a slice.
  return parts.length === 1 ? detach(parts[0]!) : parts.join('');
}

/** Index of the quote that closes the string opening at `open`. */
function stringEnd(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i;
    else i++;
  }
  return i;
}

/** JSON.parse of a stored JSON column, keeping its text when its numbers need it (it was stored compact). */
export function parseStoredJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null && jsonNeedsExactText(text)) keepExactText(value, text);
  return value;
}
