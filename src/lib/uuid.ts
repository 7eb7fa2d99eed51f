/** @module UUID helpers: v4 (random), v7 (time-ordered, for event and session ids) and validation. */

// Hex digits are written into one reused ASCII buffer and read back as a single flat string:
// concatenating 21 pieces made a rope that every later JSON.stringify had to flatten again
// (0.34 µs per id with the stringify, 0.14 µs this way).
const HEX_ASCII = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_ASCII[i * 2] = h.charCodeAt(0);
  HEX_ASCII[i * 2 + 1] = h.charCodeAt(1);
}
const TEXT = Buffer.alloc(36, 45); // '-' stays at 8, 13, 18 and 23
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** `bytes` as lower-case hex digits written into `out` from `at` (2 per byte). */
export function writeHex(bytes: Uint8Array, out: Uint8Array, at: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i]! << 1;
    out[at + 2 * i] = HEX_ASCII[v]!;
    out[at + 2 * i + 1] = HEX_ASCII[v + 1]!;
  }
}

export function formatUuid(b: Uint8Array): string {
  for (let i = 0; i < 16; i++) {
    const v = b[i]! << 1;
    const p = AT[i]!;
    TEXT[p] = HEX_ASCII[v]!;
    TEXT[p + 1] = HEX_ASCII[v + 1]!;
  }
  return TEXT.toString('latin1', 0, 36);
}

export function uuidv4(): string {
  return crypto.randomUUID();
}

let lastMs = -Infinity;

/**
 * UUIDv7 for the given time (Bun's native generator: ids made in the same millisecond count up,
 * so they stay ordered). A clock that steps back a little (NTP's corrections) keeps the last time
 * used, so ids do not go back; one that steps back further was wrong before (a VM booted ahead),
 * and its ids follow it back rather than carry that wrong time, frozen, until it comes round
 * again (Prisme reads a session's start from its id). Before 1970 (a clock reset to zero and
 * then some) the time is 0: the format has no earlier one.
 */
export function uuidv7(ms: number): string {
  if (!(ms > 0)) ms = 0;
  if (ms < lastMs && lastMs - ms <= UUID_HOLD_MS) ms = lastMs;
  else lastMs = ms;
  return Bun.randomUUIDv7('hex', ms);
}

/** How far back a clock may step and the ids keep the last time used (see uuidv7). */
export const UUID_HOLD_MS = 10_000;

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
