/** @module The value of one hexadecimal digit's character code. */

/** 0–15 for `0-9`, `A-F`, `a-f`; -1 otherwise (NaN too: a read past the end of a string). */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
