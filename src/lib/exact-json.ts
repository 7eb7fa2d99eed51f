/**
 * @module Numbers kept as sent. Prisme stores each custom-event property's raw JSON text; a
 * double cannot give back every number's text (`1e400` parses to Infinity and is written `null`,
 * `12345678901234567890` loses its last digits, `1.50` comes back `1.5`). A parsed value whose
 * text held such a number keeps that text beside it (exactJsonText), compacted: JSON.stringify's
 * copy of it would not be the number sent. Linear scans, no recursion and no JSON.parse reviver
 * (one costs ~14× a plain parse and overflows the stack ~4,000 levels deep).
 */

import { detach } from './detach.ts';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, MAX_JSON_DEPTH, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './json-depth.ts';

/** Parsed values and the text to write for each: those whose numbers need it, and JSON columns read back from the store. */
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
function isNumberChar(c: number): boolean {
  return (c >= ZERO && c <= NINE) || c === MINUS || c === 43 || c === DOT || c === 101 || c === 69;
}

/**
 * Whether the number token text[from, to) is not what String() writes for its value. Within 15
 * characters a double holds every digit, so there only the form can differ: an integer comes back
 * but `-0`; a fraction, when it ends in 0 (`1.50`) or is under 1e-6 (String() writes `1e-7`).
 * Only an exponent or more characters are worth a conversion (a body of a million prices would
 * otherwise make a million).
 */
export function numberNeedsText(text: string, from: number, to: number): boolean {
  if (to - from <= 15) {
    let dot = -1;
    let exponent = false;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === DOT) dot = i;
      else if (c === 101 || c === 69) {
        exponent = true;
        break;
      }
    }
    if (!exponent) {
      if (dot < 0) return to - from === 2 && text.charCodeAt(from) === MINUS && text.charCodeAt(from + 1) === ZERO;
      return text.charCodeAt(to - 1) === ZERO || tinyFraction(text, from, to);
    }
  }
  const token = text.slice(from, to);
  const n = Number(token);
  return !Number.isFinite(n) || String(n) !== token;
}

/** Whether the fraction token text[from, to) starts `0.000000` (or `-0.000000`): under 1e-6. */
function tinyFraction(text: string, from: number, to: number): boolean {
  const s = text.charCodeAt(from) === MINUS ? from + 1 : from;
  if (to - s < 9 || text.charCodeAt(s) !== ZERO || text.charCodeAt(s + 1) !== DOT) return false;
  for (let i = s + 2; i < s + 8; i++) if (text.charCodeAt(i) !== ZERO) return false;
  return true;
}

/** Whether valid JSON `text` holds a number that needs its text (numberNeedsText); strings are skipped. */
export function jsonNeedsExactText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (isNumberStart(c)) {
      const j = numberEnd(text, i);
      if (numberNeedsText(text, i, j)) return true;
      i = j - 1;
    }
  }
  return false;
}

/** Index just past the number token starting at `from`. */
export function numberEnd(text: string, from: number): number {
  let j = from + 1;
  while (j < text.length && isNumberChar(text.charCodeAt(j))) j++;
  return j;
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

/**
 * Index of the quote that closes the string opening at `open` (or the text's length). indexOf
 * finds each quote natively: ~2× faster than reading the string character by character, which
 * matters because a body's scan is mostly strings.
 */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return text.length;
    // Escaped when an odd number of backslashes precedes it (the opening quote stops the count).
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if (((q - 1 - b) & 1) === 0) return q;
  }
}

/**
 * JSON.parse of a stored JSON column, keeping its text (stored compact, the exact one when its
 * numbers needed it): an exporter writes that text, and a row's is then never written again
 * (1.0 µs a 1 KB RudderStack payload, against 2.4 for a JSON.stringify of the parsed value).
 */
export function parseStoredJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null) keepExactText(value, text);
  return value;
}

/** What JSON offers for numbers kept as their text (ES2026; Bun has it, TypeScript's lib not yet). */
interface RawJsonApi {
  rawJSON(text: string): RawNumber;
  isRawJSON(value: unknown): value is RawNumber;
}
/** A number kept as sent: JSON.stringify writes `rawJSON` as it is, wherever the value sits. */
export interface RawNumber {
  readonly rawJSON: string;
}
const RAW_JSON = JSON as unknown as RawJsonApi;

/** Whether `value` is a number kept as its text (parseJsonKeepingNumbers). */
export function isRawNumber(value: unknown): value is RawNumber {
  return typeof value === 'object' && value !== null && RAW_JSON.isRawJSON(value);
}

/** Containers that hold a RawNumber somewhere below them. */
const HOLDS_RAW = new WeakSet<object>();

/**
 * Whether a parsed value holds numbers kept as their text: its JSON must then be written on this
 * thread (JSON.stringify writes them as sent), not handed on as a value another thread re-parses.
 */
export function holdsRawNumbers(value: unknown): boolean {
  return typeof value === 'object' && value !== null && HOLDS_RAW.has(value);
}

/**
 * JSON.parse for a request body whose numbers are stored as sent (RudderStack's messages: a
 * 20-digit `order_id` keeps its digits, where rudder-server's float64s round it). null when the
 * text is malformed or nests deeper than `maxDepth`. A text longer than `maxDepth` is scanned for
 * its depth anyway, and the same scan looks for numbers a double does not give back
 * (numberNeedsText); a shorter one, which cannot nest that deep, is scanned only when a regular
 * expression finds a number token that might be one (1.3 KB: ~0.2 µs against ~4 for the scan).
 * Only a body holding such a number is parsed again, its such numbers becoming RawNumbers and the
 * containers above each one marked (holdsRawNumbers). A bare number at the top stays a double:
 * nothing is stored from it.
 */
export function parseJsonKeepingNumbers(text: string, maxDepth = MAX_JSON_DEPTH): { value: unknown } | null {
  // Where such numbers are: pairs of token start and end.
  const found: number[] = [];
  if ((text.length > maxDepth || MAY_NEED_TEXT.test(text)) && !scanJson(text, maxDepth, found)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  // The first parse has shown every number token valid, so each one fits JSON.rawJSON.
  if (found.length && typeof value === 'object' && value !== null) value = parseWithRawNumbers(text, found);
  return { value };
}

/**
 * Finds every number token numberNeedsText is true for, and more (strings too): a JSON number
 * follows `:`, `,` or `[` and white space, and needs its text only when it has 16 characters or
 * more, an exponent, a fraction ending in 0, is `-0`, or is under 1e-6 (String() then writes an
 * exponent); within 15 characters a double holds every other decimal's digits.
 */
export const MAY_NEED_TEXT = /[:,[]\s*(?:-?[\d.]{16}|-?[\d.]+[eE]|-?\d+\.\d*0(?!\d)|-0(?![.\d])|-?0\.0{6})/;

/** One pass: false when deeper than `maxDepth` (as jsonTooDeep), else true, with where each number that needs its text is in `found`. */
function scanJson(text: string, maxDepth: number, found: number[]): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return false;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (isNumberStart(c)) {
      const j = numberEnd(text, i);
      if (numberNeedsText(text, i, j)) found.push(i, j);
      i = j - 1;
    }
  }
  return true;
}

/**
 * Valid JSON text → its value with each number that needs its text as a RawNumber. Such numbers
 * are first rewritten as strings carrying a tag no sender can guess (a fresh random one per
 * body), parsed, and the tagged strings then swapped for RawNumbers in a walk with a queue of its
 * own (values nest 10,000 deep).
 */
function parseWithRawNumbers(text: string, found: readonly number[]): unknown {
  // A private-use character and 72 random bits: short, as a body may hold a million such numbers.
  const tag = `\ue000${crypto.getRandomValues(new Uint8Array(9)).toBase64({ alphabet: 'base64url' })}:`;
  const parts: string[] = [];
  let run = 0;
  for (let k = 0; k < found.length; k += 2) {
    const from = found[k]!;
    const to = found[k + 1]!;
    parts.push(text.slice(run, from), '"', tag, text.slice(from, to), '"');
    run = to;
  }
  parts.push(text.slice(run));
  const value = JSON.parse(parts.join('')) as object;
  const nodes: object[] = [value];
  const parents: number[] = [-1];
  const made = new Map<string, RawNumber>();
  const mark = (k: number) => {
    for (; k >= 0 && !HOLDS_RAW.has(nodes[k]!); k = parents[k]!) HOLDS_RAW.add(nodes[k]!);
  };
  const swap = (k: number, holder: Record<string | number, unknown>, key: string | number, x: unknown) => {
    if (typeof x === 'string') {
      if (!x.startsWith(tag)) return;
      // One RawNumber per distinct text (they are frozen): a body of a million `1.50`s makes one.
      const token = x.slice(tag.length);
      let raw = made.get(token);
      if (raw === undefined) made.set(token, (raw = RAW_JSON.rawJSON(token)));
      // A key named __proto__ is an own property of a parsed object, and an assignment to it would
      // set the prototype instead (defineProperty costs ~3× an assignment: only there).
      if (key === '__proto__') Object.defineProperty(holder, key, { value: raw, writable: true, enumerable: true, configurable: true });
      else holder[key] = raw;
      mark(k);
    } else if (typeof x === 'object' && x !== null) {
      nodes.push(x);
      parents.push(k);
    }
  };
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k]! as Record<string, unknown>;
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) swap(k, node, i, node[i]);
    else for (const key in node) swap(k, node, key, node[key]);
  }
  return value;
}
