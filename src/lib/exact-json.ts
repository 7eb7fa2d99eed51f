/**
 * @module parseJsonExact(text) → JSON.parse's value, except that a number whose text a double
 * cannot give back (`1e400`, `12345678901234567890`) is kept as that text (JSON.rawJSON), so that
 * JSON.stringify writes it as received; hasExactNumbers(value) says whether a value holds one.
 */

/** JSON.rawJSON and JSON.isRawJSON (ES2025's JSON.parse source text access; in Bun), which TypeScript's lib does not declare yet. */
const RawJson = JSON as JSON & { rawJSON(text: string): object; isRawJSON(value: unknown): boolean };

/** Containers that hold a kept number text, at any depth. */
const HOLDERS = new WeakSet<object>();

/**
 * Could `text` hold a number a double does not give back? An exponent, or 16 digits in a row
 * (a double has 15–17 significant digits). Most bodies have neither, and are parsed at full speed.
 */
const MAYBE_INEXACT = /[0-9][eE][+-]?[0-9]|[0-9]{16}/;

/**
 * Parses as JSON.parse does (and throws as it does). A number whose text is not what
 * JSON.stringify writes for its value (Prisme keeps each property's raw JSON text) becomes a
 * raw JSON value of its text: `{"big":1e400}` stays `{"big":1e400}`, where a double would make it
 * `{"big":null}`, and an id of 20 digits keeps its last ones. Every container holding one, up to
 * the top, is marked for hasExactNumbers().
 */
export function parseJsonExact(text: string): unknown {
  if (!MAYBE_INEXACT.test(text)) return JSON.parse(text);
  return JSON.parse(text, function (this: object, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === 'number') {
      const source = context?.source;
      if (source === undefined || JSON.stringify(value) === source) return value;
      HOLDERS.add(this);
      return RawJson.rawJSON(source);
    }
    if (typeof value === 'object' && value !== null && HOLDERS.has(value)) HOLDERS.add(this);
    return value;
  });
}

/** Whether `value` (or anything in it) holds a number text parseJsonExact kept; JSON.stringify is then the only faithful copy of it. */
export function hasExactNumbers(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (HOLDERS.has(value) || RawJson.isRawJSON(value));
}

/** Marks `holder` as holding `value`'s kept number texts, if it has any (for containers built by hand around parsed values). */
export function holdsExactNumbers(holder: object, value: unknown): void {
  if (hasExactNumbers(value)) HOLDERS.add(holder);
}
