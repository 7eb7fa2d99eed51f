import { describe, expect, it } from 'bun:test';
import { createHmac } from 'node:crypto';
import { deferPixelHit, pixelIds } from './pixel-hit.ts';
import type { GeoReader } from './geo.ts';
import type { SaltKeeper } from './visitor-id.ts';

const salt = new Uint8Array(32).fill(7);
const otherSalt = new Uint8Array(32).fill(8);
const PX = '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0003';
const T = Date.UTC(2026, 0, 2, 10, 15);
const visitor = (s: Uint8Array, pixel: string, ip: string, ua: string) => pixelIds(s, pixel, ip, ua, T).visitorId;

describe('pixel visitor and session ids', () => {
  it('gives one visitor id per pixel, address and UA for a salt, and another when any of them changes', () => {
    const v = visitor(salt, PX, '203.0.113.7', 'UA');
    expect(v).toMatch(/^pixel_[0-9a-f]{16}$/);
    expect(visitor(salt, PX, '203.0.113.7', 'UA')).toBe(v);
    expect(pixelIds(salt, PX, '203.0.113.7', 'UA', T + 5 * 3_600_000).visitorId).toBe(v);
    for (const other of [
      visitor(otherSalt, PX, '203.0.113.7', 'UA'),
      visitor(salt, PX.replace('3', '4'), '203.0.113.7', 'UA'),
      visitor(salt, PX, '203.0.113.8', 'UA'),
      visitor(salt, PX, '203.0.113.7', 'UA2'),
      // No ambiguity between fields: the separator keeps "a|bc" and "ab|c" apart.
      visitor(salt, PX, '203.0.113.7U', 'A'),
    ]) expect(other).not.toBe(v);
  });

  it('is pixel_ and the first 8 bytes, in hex, of HMAC-SHA256 keyed by the salt over pixel id, IP and UA as UTF-8 (NUL between): no address can be found from it without the salt', () => {
    for (const ua of ['UA', 'Mozilla/5.0 (Linux; Android 14; Téléphone 😀) Safari/537.36']) {
      const mac = createHmac('sha256', salt).update(`${PX}\u0000203.0.113.7\u0000${ua}`, 'utf8').digest();
      expect(visitor(salt, PX, '203.0.113.7', ua)).toBe('pixel_' + mac.subarray(0, 8).toString('hex'));
    }
  });

  it('makes the session id of the hour from the part of that HMAC no row shows, so the visitor id and the hour alone do not give it', () => {
    const mac = createHmac('sha256', salt).update(`${PX}\u0000203.0.113.7\u0000UA`, 'utf8').digest();
    const input = new Uint8Array(32);
    input.set(mac.subarray(8, 32));
    new DataView(input.buffer).setFloat64(24, Math.floor(T / 3_600_000));
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, Bun.hash.xxHash64(input, 1n));
    view.setBigUint64(8, Bun.hash.xxHash64(input, 2n));
    bytes[6] = (bytes[6]! & 0x0f) | 0x80;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Buffer.from(bytes).toString('hex');
    expect(pixelIds(salt, PX, '203.0.113.7', 'UA', T).sessionId).toBe(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
  });

  it('hashes a UA with non-ASCII characters as its UTF-8 bytes, the same every time', () => {
    const ua = 'Mozilla/5.0 (Linux; Android 14; Téléphone 😀) Safari/537.36';
    const a = pixelIds(salt, PX, '203.0.113.7', ua, T);
    expect(a.visitorId).toMatch(/^pixel_[0-9a-f]{16}$/);
    // A long ASCII UA hashed in between must not leave bytes behind.
    pixelIds(salt, PX, '203.0.113.7', 'x'.repeat(5000), T);
    expect(pixelIds(salt, PX, '203.0.113.7', ua, T)).toEqual(a);
    expect(pixelIds(salt, PX, '203.0.113.7', ua.replace('😀', '😁'), T).visitorId).not.toBe(a.visitorId);
  });

  it('keeps a session UUID (version 8) for the clock hour and starts another at the next', () => {
    const s = pixelIds(salt, PX, '203.0.113.7', 'UA', T).sessionId;
    expect(s).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pixelIds(salt, PX, '203.0.113.7', 'UA', T + 44 * 60_000).sessionId).toBe(s);
    expect(pixelIds(salt, PX, '203.0.113.7', 'UA', T + 45 * 60_000).sessionId).not.toBe(s);
    expect(pixelIds(otherSalt, PX, '203.0.113.7', 'UA', T).sessionId).not.toBe(s);
    expect(pixelIds(salt, PX, '203.0.113.8', 'UA', T).sessionId).not.toBe(s);
  });

  it('hashes the whole User-Agent, and hands the writer thread only the 500 characters it parses', () => {
    const deps = { salts: { saltFor: () => salt } as unknown as SaltKeeper, geo: { lookup: () => ({ country: null, region: null, city: null }) } as unknown as GeoReader };
    const hit = (ua: string) => deferPixelHit(deps, { pixelId: PX, url: 'https://c.example/p/x', referer: null, userAgent: ua, ip: '203.0.113.7', nowMs: T });
    const long = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 '.padEnd(100_000, 'z');
    const deferred = hit(long);
    expect(deferred.userAgent).toBe(long.slice(0, 500));
    expect(deferred.visitorId).toBe(visitor(salt, PX, '203.0.113.7', long));
    expect(deferred.visitorId).not.toBe(hit(long.slice(0, 500)).visitorId);
  });
});
