/** @module Random secrets (login tokens, API keys, write keys, access codes) and the SHA-256 hashes they are stored as. */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` characters of [0-9A-Za-z], uniformly (bytes ≥ 248 are redrawn, so no modulo bias). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of crypto.getRandomValues(new Uint8Array(n * 2))) {
      if (b >= 248) continue;
      out += BASE62[b % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

export const API_KEY_PREFIX = 'footfall_';

/** 43 base62 characters ≈ 256 bits. */
export function newLoginToken(): string {
  return randomBase62(43);
}

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBase62(43);
}

/** What a key list shows so a user can tell keys apart: `footfall_` and 8 characters. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 8);
}

/** 32 base62 characters (RudderStack's own keys are 27): safe in a query string and as a Basic-auth user name. */
export function newWriteKey(): string {
  return randomBase62(32);
}

/** Umami's format: `team_` + 16 random characters. */
export function newAccessCode(): string {
  return 'team_' + randomBase62(16);
}

/** Tokens and keys are stored only as this hash: a leaked database gives no usable credential. */
export function sha256Hex(s: string): string {
  return new Bun.CryptoHasher('sha256').update(s).digest('hex');
}
