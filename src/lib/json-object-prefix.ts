/**
 * @module readJsonObjectPrefix(text): the JSON object a text starts with, read as Go's jsontext
 * decoder reads one (Prisme master's custom-event properties): names must not repeat within an
 * object, a string may not hold an unpaired surrogate escape (`"\ud800"`), nesting is bounded,
 * and whatever follows the object's closing brace is not read.
 */
import { compactJson, isNumberStart, keepExactText, numberEnd, numberNeedsText } from './exact-json.ts';
import { hexDigit } from './hex-digit.ts';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, MAX_JSON_DEPTH, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './json-depth.ts';

export type JsonObjectPrefix =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; reason: 'not a JSON object' | 'malformed JSON' | 'JSON nested too deeply' | 'duplicate name in a JSON object' | 'unpaired surrogate escape in a JSON string' };

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;

/**
 * Reads the object at the start of `text` (after JSON whitespace). Its end is found by a scan
 * that also checks the depth and each object's names (compared as decoded: `"a"` and `"\u0061"`
 * are the same name, as jsontext compares them); the object alone is then parsed.
 */
export function readJsonObjectPrefix(text: string, maxDepth = MAX_JSON_DEPTH): JsonObjectPrefix {
  let start = 0;
  while (start < text.length && isJsonSpace(text.charCodeAt(start))) start++;
  if (text.charCodeAt(start) !== OPEN_OBJECT) return { ok: false, reason: 'not a JSON object' };

  // One entry per open object or array: the names an object has had (null for an array, and
  // for an object until its first name; a Set once it has two), and whether a name comes next.
  const names: (Set<string> | string | null)[] = [];
  const isObject: boolean[] = [];
  const nameNext: boolean[] = [];
  let end = -1;
  /** A number a double would not give back was seen (exact-json.ts): the object keeps its text. */
  let exact = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const from = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) {
          escaped = true;
          if (text.charCodeAt(i + 1) === LOWER_U) {
            // `\uXXXX`: a high surrogate must be followed at once by a low one, and a low one must follow a high.
            const unit = hexUnit(text, i + 2);
            if (unit >= 0xd800 && unit <= 0xdfff) {
              const low = unit <= 0xdbff && text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === LOWER_U ? hexUnit(text, i + 8) : -1;
              if (low < 0xdc00 || low > 0xdfff) return UNPAIRED;
              i += 6; // the low half's escape, checked
            }
            i += 5;
          } else i++;
        } else if (s === QUOTE) break;
      }
      if (i >= text.length) return { ok: false, reason: 'malformed JSON' };
      const top = names.length - 1;
      if (!isObject[top] || !nameNext[top]) continue;
      nameNext[top] = false;
      let name = text.slice(from + 1, i);
      if (escaped) {
        try {
          name = JSON.parse(text.slice(from, i + 1)) as string;
        } catch {
          return { ok: false, reason: 'malformed JSON' };
        }
      }
      const seen = names[top];
      if (seen === null) names[top] = name;
      else if (typeof seen === 'string') {
        if (seen === name) return DUPLICATE;
        names[top] = new Set([seen, name]);
      } else {
        if (seen!.has(name)) return DUPLICATE;
        seen!.add(name);
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (names.length >= maxDepth) return { ok: false, reason: 'JSON nested too deeply' };
      names.push(null);
      isObject.push(c === OPEN_OBJECT);
      nameNext.push(c === OPEN_OBJECT);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      names.pop();
      isObject.pop();
      nameNext.pop();
      if (names.length === 0) {
        end = i + 1;
        break;
      }
    } else if (c === COMMA) {
      const top = names.length - 1;
      if (isObject[top]) nameNext[top] = true;
    } else if (!exact && isNumberStart(c)) {
      const j = numberEnd(text, i);
      exact = numberNeedsText(text, i, j);
      i = j - 1;
    }
  }
  if (end < 0) return { ok: false, reason: 'malformed JSON' };
  // The scan only found the end and the names; the parse checks everything else (commas,
  // colons, literals, escapes, mismatched brackets).
  try {
    const json = text.slice(start, end);
    const value = JSON.parse(json) as Record<string, unknown>;
    if (exact) keepExactText(value, compactJson(json));
    return { ok: true, value };
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
}

const LOWER_U = 0x75;

/** The four hex digits at text[at, at+4) as a number, or -1 (the parse that follows refuses such an escape). */
function hexUnit(text: string, at: number): number {
  let n = 0;
  for (let k = at; k < at + 4; k++) {
    const d = hexDigit(text.charCodeAt(k));
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

function isJsonSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

const UNPAIRED: JsonObjectPrefix = { ok: false, reason: 'unpaired surrogate escape in a JSON string' };

/** The reason names no name: it travels in a header, and a name may be any text. */
const DUPLICATE: JsonObjectPrefix = { ok: false, reason: 'duplicate name in a JSON object' };
