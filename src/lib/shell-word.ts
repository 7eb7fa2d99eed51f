/** @module A string into one word a POSIX shell reads back as that string (for commands printed to be copied). */

/** As typed when it holds only characters no shell treats specially; else in single quotes. */
export function shellWord(s: string): string {
  return s !== '' && /^[A-Za-z0-9_/.,:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
