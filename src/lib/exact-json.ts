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
  let found = false;
  eachExactNumber(text, () => (found = true));
  return found;
}

/** Calls `found(from, to)` for each number token of JSON `text` (outside strings) that needs its text, until it returns true. */
function eachExactNumber(text: string, found: (from: number, to: number) => boolean | void): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (isNumberStart(c)) {
      const j = numberEnd(text, i);
      if (numberNeedsText(text, i, j) && found(i, j)) return;
      i = j - 1;
    }
  }
}

/** Index just past the number token starting at `from`. */
function numberEnd(text: string, from: number): number {
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
 * JSON.parse for a request body whose numbers must be stored as sent (RudderStack's messages:
 * rudder-server keeps each message's raw bytes, so a 20-digit `order_id` or `userId` survives).
 * null when the text is malformed or nests deeper than `maxDepth`. One scan finds both (a body is
 * scanned for its depth anyway); only a body holding a number that a double does not give back
 * (numberNeedsText) is parsed again, its such numbers becoming RawNumbers, and the containers
 * above each one marked (holdsRawNumbers). A bare number at the top stays a double: nothing is
 * stored from it.
 */
export function parseJsonKeepingNumbers(text: string, maxDepth = MAX_JSON_DEPTH): { value: unknown } | null {
  const shape = scanJson(text, maxDepth);
  if (shape === 'too-deep') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  // The first parse has shown every number token valid, so each one fits JSON.rawJSON.
  if (shape === 'exact-numbers' && typeof value === 'object' && value !== null) value = parseWithRawNumbers(text);
  return { value };
}

/** One pass: deeper than `maxDepth` (as jsonTooDeep), else whether a number needs its text. */
function scanJson(text: string, maxDepth: number): 'too-deep' | 'exact-numbers' | 'plain' {
  let depth = 0;
  let exact = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return 'too-deep';
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (!exact && isNumberStart(c)) {
      const j = numberEnd(text, i);
      exact = numberNeedsText(text, i, j);
      i = j - 1;
    }
  }
  return exact ? 'exact-numbers' : 'plain';
}

/**
 * Valid JSON text → its value with each number that needs its text as a RawNumber. Such numbers
 * are first rewritten as strings carrying a tag no sender can guess (a fresh random one per
 * body), parsed, and the tagged strings then swapped for RawNumbers in a walk with a queue of its
 * own (values nest 10,000 deep).
 */
function parseWithRawNumbers(text: string): unknown {
  const tag = `\\u0000${crypto.randomUUID()}:`;
  const parsedTag = JSON.parse(`"${tag}"`) as string;
  const parts: string[] = [];
  let run = 0;
  eachExactNumber(text, (from, to) => {
    parts.push(text.slice(run, from), '"', tag, text.slice(from, to), '"');
    run = to;
  });
  parts.push(text.slice(run));
  const value = JSON.parse(parts.join('')) as object;
  const nodes: object[] = [value];
  const parents: number[] = [-1];
  const mark = (k: number) => {
    for (; k >= 0 && !HOLDS_RAW.has(nodes[k]!); k = parents[k]!) HOLDS_RAW.add(nodes[k]!);
  };
  const swap = (k: number, holder: Record<string, unknown>, key: string, x: unknown) => {
    if (typeof x === 'string') {
      if (!x.startsWith(parsedTag)) return;
      // defineProperty: a key named __proto__ is an own property of a parsed object, and an
      // assignment to it would set the prototype instead.
      Object.defineProperty(holder, key, { value: RAW_JSON.rawJSON(x.slice(parsedTag.length)), writable: true, enumerable: true, configurable: true });
      mark(k);
    } else if (typeof x === 'object' && x !== null) {
      nodes.push(x);
      parents.push(k);
    }
  };
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k]! as Record<string, unknown>;
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) swap(k, node, String(i), node[i]);
    else for (const key in node) swap(k, node, key, node[key]);
  }
  return value;
}
