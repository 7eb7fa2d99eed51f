/** @module Sets a string at a tidwall/sjson v1.2.5 path in a JSON object: the object upstream's text splicing yields once parsed. */
import { detach } from '../lib/detach.ts';

// sjson edits JSON text; we edit the parsed object and reproduce what its text would parse to.
// Rules (sjson.go + gjson lookups, read at v1.2.5):
// - A part is found in an object by exact key; in an array only by plain digits (gjson's
//   parseUint sees the backslashes of an escaped part, so `\0` never finds index 0).
// - Found + last part: the value is replaced in place (keeps its key position).
// - Found + more parts: recurse into a container; a scalar (string, bool, null padding) is
//   replaced by a fresh `[]` when the next part is digits or empty, else `{}`.
// - Not found in an object: the key is appended with a freshly built value.
// - Not found in an array: digits or empty (=0) append after null padding up to the index
//   (an index already below the length appends: only an empty part can get there);
//   `-1` appends; anything else is an sjson error and the whole key is dropped.
// - Fresh values: a digits/empty part builds an array padded with nulls, `-1` builds a
//   one-element array, anything else an object; `:` forces an object key.

export interface PathPart {
  /** the key once `:` and backslash escapes are removed */
  key: string;
  /** the key as gjson sees it (backslashes kept) */
  gpart: string;
  /** leading `:`: never an array index */
  force: boolean;
  /** sjson's atoui when building: plain digits (empty = 0) and not forced → index, else null */
  buildIndex: number | null;
  /** gjson's array lookup: non-empty plain digits in the raw part → index, else null */
  lookupIndex: number | null;
  /** `-1` not forced: appends to an array */
  append: boolean;
  /** false for gjson literals/sub-selectors (see findableInObject) */
  findable: boolean;
}

export type JsonObject = Record<string, unknown>;

/** Deeper paths are dropped: no SDK sends more than 4 levels, and SQLite's JSON functions stop at depth 1000. */
export const MAX_PATH_PARTS = 64;

/**
 * Null padding allowed per message. Upstream pads without bound (`a.999999999=x` makes a
 * gigabyte); past ~800k nulls its 4000 KB request limit rejects the event anyway. 10k keeps a
 * 512 KiB query from expanding into megabytes.
 */
export const PAD_BUDGET = 10_000;

export interface PadBudget {
  left: number;
}

const SIMPLE_PATH = /^[^\\:|#@*?]*$/;
const SPECIAL = /[|#@*?]/;

/**
 * sjson's path split; null when sjson would not create anything: an empty path ("path cannot
 * be empty") or an unescaped `* ? | # @` in any part (a gjson query, which only replaces an
 * existing match — not reproduced, see rudder-message.ts).
 */
export function parseSjsonPath(path: string): PathPart[] | null {
  if (path === '') return null;
  if (SIMPLE_PATH.test(path)) {
    const keys = path.split('.');
    if (keys.length > MAX_PATH_PARTS) return null;
    return keys.map((key) => makePart(key, key, false));
  }
  const parts: PathPart[] = [];
  let rest = path;
  for (;;) {
    let force = false;
    if (rest.charCodeAt(0) === 0x3a) {
      force = true;
      rest = rest.slice(1);
    }
    let key = '';
    let gpart = '';
    let more = false;
    let i = 0;
    for (; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '.') {
        more = true;
        break;
      }
      if (ch === '\\') {
        // the escaped character is taken literally, even a dot or a special character
        gpart += '\\';
        i++;
        if (i < rest.length) {
          key += rest[i];
          gpart += rest[i];
        }
        continue;
      }
      if (SPECIAL.test(ch)) return null;
      key += ch;
      gpart += ch;
    }
    parts.push(makePart(key, gpart, force));
    if (parts.length > MAX_PATH_PARTS) return null;
    if (!more) return parts;
    rest = rest.slice(i + 1);
  }
}

/** Only ASCII digits (true for ''). */
function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A part with its lookups precomputed once, so setting a cached path runs no regex. */
function makePart(key: string, gpart: string, force: boolean): PathPart {
  return {
    key,
    gpart,
    force,
    buildIndex: !force && isDigits(key) ? (key === '' ? 0 : Number(key)) : null,
    lookupIndex: gpart !== '' && isDigits(gpart) ? Number(gpart) : null,
    append: !force && key === '-1',
    findable: findableInObject(gpart),
  };
}

/**
 * gjson reads a part starting with `!`, `[` or `{` (2+ chars) as a literal or sub-selector whose
 * result has no position, so sjson treats it as absent and appends a duplicate key; parsed,
 * the last duplicate wins — the same as overwriting with a fresh value.
 */
function findableInObject(gpart: string): boolean {
  const c = gpart.charCodeAt(0);
  return !(gpart.length > 1 && (c === 0x21 || c === 0x5b || c === 0x7b));
}

// Keys recur from request to request (an SDK sends the same dozen), so parsed paths are kept:
// parsing the benchmark's 17 keys costs ~1.7 µs, looking them up ~0.2 µs. Bounded: when full
// it is emptied, so a stream of distinct keys costs a parse each, as without the cache.
// Keys longer than PATH_CACHE_KEY_MAX are parsed every time and never held, so the cache stays
// under ~512 × 256 characters whatever a query holds (it may be 512 KiB).
const PATH_CACHE_MAX = 512;
const PATH_CACHE_KEY_MAX = 256;
const pathCache = new Map<string, PathPart[] | null>();

/** parseSjsonPath through the cache; the parts returned are shared and must not be changed. */
export function parseSjsonPathCached(path: string): PathPart[] | null {
  let parts = pathCache.get(path);
  if (parts === undefined) {
    if (path.length > PATH_CACHE_KEY_MAX) return parseSjsonPath(path);
    // The path may be cut from a query of up to 512 KiB, and the parts are cut from the path: both
    // are made from a copy (detach.ts).
    const kept = detach(path);
    parts = parseSjsonPath(kept);
    if (pathCache.size >= PATH_CACHE_MAX) pathCache.clear();
    pathCache.set(kept, parts);
  }
  return parts;
}

/** How many parsed paths the cache holds (tests: long keys stay out). */
export function sjsonPathCacheSize(): number {
  return pathCache.size;
}

/** Plain assignment, except that `__proto__` must become an own property, not a prototype. */
function put(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else obj[key] = value;
}

function isContainer(v: unknown): v is JsonObject | unknown[] {
  return typeof v === 'object' && v !== null;
}

function spend(budget: PadBudget, n: number): boolean {
  if (n > budget.left) return false;
  budget.left -= n;
  return true;
}

/** A fresh value for parts[j..]; undefined when the padding budget runs out. */
function build(parts: PathPart[], j: number, value: string, budget: PadBudget): unknown {
  if (j === parts.length) return value;
  const p = parts[j]!;
  const n = p.buildIndex;
  if (n !== null || p.append) {
    const pad = n ?? 0;
    if (!spend(budget, pad)) return undefined;
    const inner = build(parts, j + 1, value, budget);
    if (inner === undefined) return undefined;
    const arr: unknown[] = new Array<unknown>(pad).fill(null);
    arr.push(inner);
    return arr;
  }
  const inner = build(parts, j + 1, value, budget);
  if (inner === undefined) return undefined;
  const obj: JsonObject = {};
  put(obj, p.key, inner);
  return obj;
}

function setFound(
  c: JsonObject | unknown[], k: string | number, parts: PathPart[], i: number, value: string,
  budget: PadBudget,
): boolean {
  if (i === parts.length - 1) {
    if (typeof k === 'number') (c as unknown[])[k] = value;
    else put(c as JsonObject, k, value);
    return true;
  }
  const cur = typeof k === 'number' ? (c as unknown[])[k] : (c as JsonObject)[k];
  if (isContainer(cur)) return setIn(cur, parts, i + 1, value, budget);
  const fresh: JsonObject | unknown[] = parts[i + 1]!.buildIndex !== null ? [] : {};
  if (!setIn(fresh, parts, i + 1, value, budget)) return false;
  if (typeof k === 'number') (c as unknown[])[k] = fresh;
  else put(c as JsonObject, k, fresh);
  return true;
}

function setIn(c: JsonObject | unknown[], parts: PathPart[], i: number, value: string, budget: PadBudget): boolean {
  const p = parts[i]!;
  if (Array.isArray(c)) {
    const idx = p.lookupIndex;
    if (idx !== null && idx < c.length) return setFound(c, idx, parts, i, value, budget);
    const n = p.buildIndex;
    if (n === null && !p.append) return false; // "cannot set array element for non-numeric key"
    const pad = n === null ? 0 : Math.max(0, n - c.length);
    if (!spend(budget, pad)) return false;
    const built = build(parts, i + 1, value, budget);
    if (built === undefined) return false;
    for (let k = 0; k < pad; k++) c.push(null);
    c.push(built);
    return true;
  }
  if (p.findable && Object.hasOwn(c, p.key)) return setFound(c, p.key, parts, i, value, budget);
  const built = build(parts, i + 1, value, budget);
  if (built === undefined) return false;
  put(c, p.key, built);
  return true;
}

/**
 * Sets `value` at `parts` inside `root`, as `sjson.SetBytes(json, path, value)` would.
 * Returns false (and leaves `root` untouched) where sjson returns an error.
 */
export function setSjsonPath(root: JsonObject, parts: PathPart[], value: string, budget: PadBudget): boolean {
  return setIn(root, parts, 0, value, budget);
}
