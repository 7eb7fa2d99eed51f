import { describe, expect, it } from 'bun:test';
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

  it('is pixel_ and the 16 hex digits of xxHash64 of pixel id, IP and UA as UTF-8 (NUL between), seeded from the salt', () => {
    for (const ua of ['UA', 'Mozilla/5.0 (Linux; Android 14; Téléphone 😀) Safari/537.36']) {
      const bytes = new TextEncoder().encode(`${PX}\u0000203.0.113.7\u0000${ua}`);
      const expected = 'pixel_' + Bun.hash.xxHash64(bytes, Bun.hash.xxHash64(salt)).toString(16).padStart(16, '0');
      expect(visitor(salt, PX, '203.0.113.7', ua)).toBe(expected);
    }
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
