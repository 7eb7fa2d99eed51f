/** @module Sets a string at a tidwall/sjson v1.2.5 path in a JSON object: the object upstream's text splicing yields once parsed. */

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
    return keys.map((key) => ({ key, gpart: key, force: false }));
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
    parts.push({ key, gpart, force });
    if (parts.length > MAX_PATH_PARTS) return null;
    if (!more) return parts;
    rest = rest.slice(i + 1);
  }
}

const DIGITS = /^[0-9]*$/;

/** sjson's atoui: plain digits (empty counts as 0) and not forced → index. */
function buildIndex(p: PathPart): number | null {
  return !p.force && DIGITS.test(p.key) ? (p.key === '' ? 0 : Number(p.key)) : null;
}

/** gjson's array lookup: non-empty plain digits in the raw part. */
function lookupIndex(p: PathPart): number | null {
  return p.gpart !== '' && DIGITS.test(p.gpart) ? Number(p.gpart) : null;
}

/**
 * gjson reads a part starting with `!`, `[` or `{` (2+ chars) as a literal or sub-selector whose
 * result has no position, so sjson treats it as absent and appends a duplicate key; parsed,
 * the last duplicate wins — the same as overwriting with a fresh value.
 */
function findableInObject(p: PathPart): boolean {
  const c = p.gpart.charCodeAt(0);
  return !(p.gpart.length > 1 && (c === 0x21 || c === 0x5b || c === 0x7b));
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
  const n = buildIndex(p);
  if (n !== null || (!p.force && p.key === '-1')) {
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
  const fresh: JsonObject | unknown[] = buildIndex(parts[i + 1]!) !== null ? [] : {};
  if (!setIn(fresh, parts, i + 1, value, budget)) return false;
  if (typeof k === 'number') (c as unknown[])[k] = fresh;
  else put(c as JsonObject, k, fresh);
  return true;
}

function setIn(c: JsonObject | unknown[], parts: PathPart[], i: number, value: string, budget: PadBudget): boolean {
  const p = parts[i]!;
  if (Array.isArray(c)) {
    const idx = lookupIndex(p);
    if (idx !== null && idx < c.length) return setFound(c, idx, parts, i, value, budget);
    const n = buildIndex(p);
    if (n === null && (p.force || p.key !== '-1')) return false; // "cannot set array element for non-numeric key"
    const pad = n === null ? 0 : Math.max(0, n - c.length);
    if (!spend(budget, pad)) return false;
    const built = build(parts, i + 1, value, budget);
    if (built === undefined) return false;
    for (let k = 0; k < pad; k++) c.push(null);
    c.push(built);
    return true;
  }
  if (findableInObject(p) && Object.hasOwn(c, p.key)) return setFound(c, p.key, parts, i, value, budget);
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
