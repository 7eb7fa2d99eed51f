/** @module jsonBytes(value) → about how much memory a parsed JSON value holds, for memory caps (the write buffer's, Prisme's session waits). */

/** A primitive value's slot, and a string's header besides its characters. */
export const VALUE_BYTES = 16;
/**
 * An array or object: its cell, its storage and its share of a shape. Measured with JSON.parse of
 * 4 MiB bodies in Bun 1.4.5: ~72 B per empty array or object, ~180 B per object with a key of its
 * own; counting them as primitives had under-estimated such bodies 4.5×.
 */
export const CONTAINER_BYTES = 96;
/** A property beyond its key's characters (~50 B measured for an object of 330k distinct keys, value included). */
const KEY_BYTES = 32;

/**
 * A parsed JSON value's texts (keys too) plus a fixed cost per value, key and container, walked
 * with a stack of its own: values may nest 10,000 deep (json-depth.ts), deeper than a recursive
 * walk may go.
 */
export function jsonBytes(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') n += VALUE_BYTES + v.length;
    else if (Array.isArray(v)) {
      n += CONTAINER_BYTES;
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      n += CONTAINER_BYTES;
      for (const k in v) {
        n += KEY_BYTES + k.length;
        stack.push((v as Record<string, unknown>)[k]);
      }
    } else n += VALUE_BYTES;
  }
  return n;
}
