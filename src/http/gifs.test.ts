import { describe, expect, it } from 'bun:test';
import { PRISME_GIF, RUDDER_GIF, UMAMI_GIF } from './gifs.ts';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('GIFs', () => {
  it('are the upstream images, checked against their published base64 and lengths', () => {
    expect(b64(PRISME_GIF)).toBe('R0lGODlhAQABAAAAACH5BAEAAAAALAAAAAABAAEAAAIBAAA=');
    expect(b64(UMAMI_GIF)).toBe('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==');
    expect([PRISME_GIF.length, RUDDER_GIF.length, UMAMI_GIF.length]).toEqual([35, 43, 43]);
    // RudderStack's differs from Umami's only in the palette (black/black instead of white/black).
    const diff = [...RUDDER_GIF].flatMap((b, i) => (b !== UMAMI_GIF[i] ? [i] : []));
    expect(diff).toEqual([13, 14, 15]);
  });
});
