/** @module A value gjson decoded → the text Go writes for it: json.Marshal (goJson, goString, goFloat) and rudder-go-kit's stringify.Any, as the RudderStack gateway reads ids. */
import { isRawNumber } from '../lib/exact-json.ts';

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
