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
  if (typeof value !== 'object' || value === null) return leafBytes(value);
  let n = 0;
  // Only containers go on the stack; leaves are counted where they are found.
  const stack: object[] = [value];
  while (stack.length) {
    const v = stack.pop()!;
    n += CONTAINER_BYTES;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' && x !== null) stack.push(x);
        else n += leafBytes(x);
      }
    } else {
      for (const k in v) {
        const x: unknown = (v as Record<string, unknown>)[k];
        n += KEY_BYTES + k.length;
        if (typeof x === 'object' && x !== null) stack.push(x);
        else n += leafBytes(x);
      }
    }
  }
  return n;
}

const leafBytes = (x: unknown): number => (typeof x === 'string' ? VALUE_BYTES + x.length : VALUE_BYTES);
