/** @module jsonTooDeep(text, max): whether JSON text nests arrays/objects deeper than `max`, read without parsing it. */

/**
 * Go's encoding/json (which Prisme and rudder-server decode with) refuses nesting deeper than
 * 10,000; so does Footfall. Deeper values would also overflow the engine's stack when the event
 * is written (JSON.stringify recurses; it fails near 50,000 levels here).
 */
export const MAX_JSON_DEPTH = 10_000;

/** JSON's structural characters as char codes (shared with json-object-prefix.ts). */
export const OPEN_ARRAY = 0x5b;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_ARRAY = 0x5d;
export const CLOSE_OBJECT = 0x7d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

/**
 * True when `text` opens more than `max` arrays or objects inside one another. Brackets inside
 * strings do not count. Only meaningful for text JSON.parse accepts (it is checked before or
 * after parsing, and either way a malformed text is refused by the parse).
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  // A text shorter than the limit cannot nest deeper than it.
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}
