/** @module Parses and prints durations ("250ms", "3s", "1m30s", "2500us", "2h", "1d") as milliseconds. */

/** Go's time.ParseDuration units (µ as U+00B5 or U+03BC), and `d` for days. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** One number and its unit, read where the last one ended (sticky). `ms` before `m` and `s`. */
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;

/**
 * Milliseconds (rounded), or null when the text is not a duration. It reads what Go's
 * time.ParseDuration reads (Prisme's variables were read with it): an optional sign, then numbers
 * with units in a row, each with an optional fraction (`1m30s`, `1.5h`, `2500us`, `-2s`), or `0`
 * alone; also `d` for days, and white space around it. A number without its unit (`3`, `00`) and
 * an empty text are none. A negative duration is read as one: the option's range refuses it.
 */
export function parseDuration(text: string): number | null {
  let t = text.trim();
  const sign = t.startsWith('-') ? -1 : 1;
  if (t.startsWith('+') || t.startsWith('-')) t = t.slice(1);
  if (t === '0') return 0;
  if (t === '') return null;
  let total = 0;
  for (let at = 0; at < t.length; at = PART.lastIndex) {
    PART.lastIndex = at;
    const m = PART.exec(t);
    if (!m) return null;
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return Number.isFinite(total) ? sign * Math.round(total) || 0 : null;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
