import { describe, expect, it } from 'bun:test';
import { pixelSessionId, pixelVisitorId } from './pixel-hit.ts';

const salt = new Uint8Array(32).fill(7);
const otherSalt = new Uint8Array(32).fill(8);
const PX = '0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0003';
const T = Date.UTC(2026, 0, 2, 10, 15);

describe('pixel visitor and session ids', () => {
  it('gives one visitor id per pixel, address and UA for a salt, and another when any of them changes', () => {
    const v = pixelVisitorId(salt, PX, '203.0.113.7', 'UA');
    expect(v).toMatch(/^pixel_[0-9a-f]{16}$/);
    expect(pixelVisitorId(salt, PX, '203.0.113.7', 'UA')).toBe(v);
    for (const other of [
      pixelVisitorId(otherSalt, PX, '203.0.113.7', 'UA'),
      pixelVisitorId(salt, PX.replace('3', '4'), '203.0.113.7', 'UA'),
      pixelVisitorId(salt, PX, '203.0.113.8', 'UA'),
      pixelVisitorId(salt, PX, '203.0.113.7', 'UA2'),
      // No ambiguity between fields: the separator keeps "a|bc" and "ab|c" apart.
      pixelVisitorId(salt, PX, '203.0.113.7U', 'A'),
    ]) expect(other).not.toBe(v);
  });

  it('keeps a session UUID (version 8) for the clock hour and starts another at the next', () => {
    const v = pixelVisitorId(salt, PX, '203.0.113.7', 'UA');
    const s = pixelSessionId(salt, v, T);
    expect(s).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pixelSessionId(salt, v, T + 44 * 60_000)).toBe(s);
    expect(pixelSessionId(salt, v, T + 45 * 60_000)).not.toBe(s);
    expect(pixelSessionId(otherSalt, v, T)).not.toBe(s);
  });
});
