/** @module UUID helpers: v4 (random), v7 (time-ordered, for event and session ids) and validation. */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatUuid(b: Uint8Array): string {
  const h = HEX;
  return (
    h[b[0]!]! + h[b[1]!]! + h[b[2]!]! + h[b[3]!]! + '-' + h[b[4]!]! + h[b[5]!]! + '-' +
    h[b[6]!]! + h[b[7]!]! + '-' + h[b[8]!]! + h[b[9]!]! + '-' +
    h[b[10]!]! + h[b[11]!]! + h[b[12]!]! + h[b[13]!]! + h[b[14]!]! + h[b[15]!]!
  );
}

export function uuidv4(): string {
  return crypto.randomUUID();
}

// Random bytes are drawn in blocks: one getRandomValues call per 256 ids instead of per id.
const POOL = new Uint8Array(16 * 256);
let poolPos = POOL.length;
let lastMs = -1;
let seq = 0;

/** UUIDv7 for the given time; ids made in the same millisecond stay ordered (12-bit counter). */
export function uuidv7(ms: number): string {
  if (poolPos >= POOL.length) {
    crypto.getRandomValues(POOL);
    poolPos = 0;
  }
  const b = POOL.subarray(poolPos, poolPos + 16);
  poolPos += 16;
  if (ms <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++; // counter wrapped: borrow the next millisecond to stay monotonic
    ms = lastMs;
  } else {
    lastMs = ms;
    seq = (b[6]! & 0x07) << 8 | b[7]!; // random start, leaves room to count upward
  }
  b[0] = (ms / 2 ** 40) & 0xff;
  b[1] = (ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | ((seq >>> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return formatUuid(b);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
