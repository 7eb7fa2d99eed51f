/** @module jsonBytes(value) → about how much memory a parsed JSON value holds, for memory caps (the write buffer's, Prisme's session waits). */

/** Per JSON value: a slot, a key, a number's or an object's header. */
export const VALUE_BYTES = 16;

/**
 * A parsed JSON value's texts (keys too) plus VALUE_BYTES per value, walked with a stack of its
 * own: values may nest 10,000 deep (json-depth.ts), deeper than a recursive walk may go.
 */
export function jsonBytes(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    n += VALUE_BYTES;
    if (typeof v === 'string') n += v.length;
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push(v[i]);
    else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        n += k.length;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return n;
}
