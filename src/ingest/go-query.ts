/** @module Raw query string → ordered keys and first values, decoded exactly as Go's net/url ParseQuery does. */
import { detach } from '../lib/detach.ts';
import { isUtf8 } from 'node:buffer';
import {
  bytesToString, decodeAt, goQueryUnescape, isPlain, scratch, scratchHigh, unescapeBytes, utf16Length,
} from './go-unescape.ts';

export { goQueryUnescape, goUtf8Decode } from './go-unescape.ts';

// Upstream reads the pixel query with Go's r.URL.Query(); these rules are its observable ones:
// pairs split on '&'; a pair whose raw text holds ';' is rejected (Go ≥ 1.17 "invalid semicolon
// separator", checked before any decoding, so an encoded %3B is fine); an empty pair is skipped;
// a pair with a bad escape in its key or value is dropped (go-unescape.ts).

/**
 * Go's cap on a query's parameters (net/url, GODEBUG urlmaxqueryparams, on for modules from Go
 * 1.24): with more than this many `&`-separated parts, ParseQuery fails before reading any, and
 * r.URL.Query() is empty.
 */
const GO_MAX_QUERY_PARAMS = 10_000;

/** Whether Go reads the query at all (GO_MAX_QUERY_PARAMS). */
function withinGoParamLimit(raw: string): boolean {
  if (raw.length < GO_MAX_QUERY_PARAMS) return true;
  let parts = 1;
  for (let at = raw.indexOf('&'); at >= 0; at = raw.indexOf('&', at + 1)) if (++parts > GO_MAX_QUERY_PARAMS) return false;
  return true;
}

/** A decoded query: each key once, in order of first appearance, with its first value. */
export interface GoQuery {
  keys: string[];
  values: string[];
}

/** The first value of `key`, or undefined. */
export function queryGet(q: GoQuery, key: string): string | undefined {
  const i = q.keys.indexOf(key);
  return i < 0 ? undefined : q.values[i];
}

/**
 * `queryGet(parseGoQuery(raw), key)` without decoding the rest of the query: the request thread
 * reads the write key this way and leaves the whole mapping to the writer thread. Same pairs,
 * same drops (a ';' in the pair, a bad escape in its key or value), same first value.
 */
export function queryFirstValue(raw: string, key: string): string | undefined {
  if (!withinGoParamLimit(raw)) return undefined;
  let semi = raw.indexOf(';');
  for (let start = 0; start <= raw.length; ) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    if (semi >= 0 && semi < start) semi = raw.indexOf(';', start);
    if (end > start && (semi < 0 || semi >= end)) {
      let eq = raw.indexOf('=', start);
      if (eq < 0 || eq > end) eq = end;
      const pairKey = isPlain(raw, start, eq) ? (eq - start === key.length && raw.startsWith(key, start) ? key : null) : goQueryUnescape(raw.slice(start, eq));
      if (pairKey === key) {
        const value = eq === end ? '' : goQueryUnescape(raw.slice(eq + 1, end));
        if (value !== null) return value;
      }
    }
    start = end + 1;
  }
  return undefined;
}

// Values that needed decoding are collected one after another in `scratch` and made into
// strings by one latin1Slice (ASCII) or utf8Slice per query and substrings of it, instead of
// a native call each: 6.6 → 5.9 µs on the benchmark for ASCII values; sharing UTF-8 ones too
// came with the slot stamps below (together 6.3 → 5.2 µs; a loaded machine, ±0.3 µs).
// Their indexes, byte ends and UTF-16 ends wait here (reused arrays).
const pendingIndex: number[] = [];
const pendingEnds: number[] = [];
const pendingUnitEnds: number[] = [];
let pendingUnits = 0;
let pendingHigh = false;

/**
 * Query → its keys and first values, decoded as Go's ParseQuery does, in order of first
 * appearance (upstream iterates a Go map in random order; query order makes ours deterministic).
 */
export function parseGoQuery(raw: string): GoQuery {
  const q: GoQuery = { keys: [], values: [] };
  if (!withinGoParamLimit(raw)) return q;
  startDedupe();
  clearPending(); // normally empty already; not if a previous parse threw half-way
  let semi = raw.indexOf(';');
  let pos = 0;
  for (let start = 0; start <= raw.length; ) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    if (semi >= 0 && semi < start) semi = raw.indexOf(';', start);
    if (end > start && (semi < 0 || semi >= end)) pos = addPair(q, raw, start, end, pos);
    start = end + 1;
  }
  if (pendingIndex.length > 0) fillPending(q, pos);
  return q;
}

/**
 * One non-empty, semicolon-free pair raw[start, end): decoded, kept if it is the key's first.
 * A value that needed decoding is left in scratch at `pos` and holds '' until fillPending;
 * returns the new end of those bytes.
 */
function addPair(q: GoQuery, raw: string, start: number, end: number, pos: number): number {
  let eq = raw.indexOf('=', start);
  if (eq < 0 || eq > end) eq = end;
  const key = internKey(raw, start, eq, pos);
  if (key === null || isRepeat(q, key)) return pos; // a repeated key: Go keeps it only as a later value
  let value = '';
  let to = pos;
  if (isPlain(raw, eq + 1, end)) value = eq === end ? '' : raw.slice(eq + 1, end);
  else {
    to = unescapeBytes(raw, eq + 1, end, pos);
    if (to < 0) return pos; // the pair is dropped; a later one with this key may count
    pendingUnits += scratchHigh ? utf16Length(pos, to) : to - pos;
    pendingHigh ||= scratchHigh;
    pendingIndex.push(q.keys.length);
    pendingEnds.push(to);
    pendingUnitEnds.push(pendingUnits);
  }
  markSeen(key);
  q.keys.push(key);
  q.values.push(value);
  return to;
}

/** No pending value but the first starts with a UTF-8 continuation byte. */
function cutsBetweenChars(n: number): boolean {
  for (let i = 1; i < n; i++) if ((scratch[pendingEnds[i - 1]!]! & 0xc0) === 0x80) return false;
  return true;
}

function fillPending(q: GoQuery, pos: number): void {
  const n = pendingIndex.length;
  if (!pendingHigh || (isUtf8(scratch.subarray(0, pos)) && cutsBetweenChars(n))) {
    // all ASCII, or valid UTF-8 cut only between characters: one string, cut by UTF-16 ends
    const all = pendingHigh ? scratch.utf8Slice(0, pos) : scratch.latin1Slice(0, pos);
    for (let i = 0, from = 0; i < n; from = pendingUnitEnds[i++]!) {
      q.values[pendingIndex[i]!] = all.slice(from, pendingUnitEnds[i]!);
    }
  } else {
    for (let i = 0, from = 0; i < n; from = pendingEnds[i++]!) {
      q.values[pendingIndex[i]!] = bytesToString(from, pendingEnds[i]!, true);
    }
  }
  clearPending();
}

function clearPending(): void {
  pendingIndex.length = 0;
  pendingEnds.length = 0;
  pendingUnitEnds.length = 0;
  pendingUnits = 0;
  pendingHigh = false;
}

// Keys recur from request to request (an SDK sends the same dozen), so raw key text → decoded
// key is cached in a small direct-mapped table. Handing out the same string object each time
// lets the path cache and the property stores downstream reuse its hash and atom (8.0 → 6.7
// µs per benchmark message), and lets repeats be found by slot stamps instead of hashing
// every key into a Map (see above for the number). A slot is found by a hash of a few characters and
// confirmed by comparing the whole text, so a collision only costs a decode.
const KEY_SLOTS = 512;
/** Longest key a slot keeps (SDK keys run to a few dozen characters): the table stays under 512 × 256 characters. */
const KEY_SLOT_MAX = 256;
const slotRaw: string[] = new Array<string>(KEY_SLOTS).fill('');
const slotKey: (string | null)[] = new Array<string | null>(KEY_SLOTS).fill(null);
/** the parse (`generation`) that last kept the slot's key; such a slot is not evicted */
const slotSeen: number[] = new Array<number>(KEY_SLOTS).fill(0);
let generation = 0;
/** the slot of the key internKey returned last, or -1 when it is not in the table as plain text */
let lastSlot = -1;
/**
 * Keys kept so far, once stamps cannot tell: a key not in the table, or one that needed
 * decoding (`a` and `%61` are one key in two slots). Null while stamps suffice.
 */
let seenSet: Set<string> | null = null;

function startDedupe(): void {
  generation++;
  seenSet = null;
}

function isRepeat(q: GoQuery, key: string): boolean {
  if (seenSet === null) {
    if (lastSlot >= 0) return slotSeen[lastSlot] === generation;
    seenSet = new Set(q.keys);
  }
  return seenSet.has(key);
}

function markSeen(key: string): void {
  if (seenSet === null) slotSeen[lastSlot] = generation;
  else seenSet.add(key);
}

/**
 * goQueryUnescape of the key raw[start, end), as an interned string when seen before; decodes
 * in scratch past `pos`, where parseGoQuery's pending values end. Sets lastSlot.
 */
function internKey(raw: string, start: number, end: number, pos: number): string | null {
  const n = end - start;
  lastSlot = -1;
  if (n === 0) return '';
  const slot =
    (n * 31 + raw.charCodeAt(start) * 7 + raw.charCodeAt(end - 1) * 17 + raw.charCodeAt(start + (n >> 1)) * 5 +
      raw.charCodeAt(start + (n >> 2))) & (KEY_SLOTS - 1);
  const known = slotRaw[slot]!;
  if (known.length === n && raw.startsWith(known, start)) {
    const key = slotKey[slot]!;
    if (key === known) lastSlot = slot; // plain text: the slot stands for the key
    return key;
  }
  const text = raw.slice(start, end);
  const plain = isPlain(text, 0, n);
  // Not kept: a long key, or a slot holding a key of this query.
  if (n > KEY_SLOT_MAX || slotSeen[slot] === generation) return plain ? text : decodeAt(text, pos);
  // Kept: a copy, not a view on the query, which may be 512 KiB (detach.ts).
  const kept = detach(text);
  const key = plain ? kept : decodeAt(kept, pos);
  slotRaw[slot] = kept;
  slotKey[slot] = key;
  if (plain) lastSlot = slot;
  return key;
}
