import { describe, expect, it } from 'bun:test';
import { writeUtf8 } from './write-utf8.ts';

describe('writeUtf8', () => {
  it('writes the same bytes as TextEncoder, at the offset given, and says where they end', () => {
    const out = new Uint8Array(64);
    for (const s of ['', 'plain ascii', 'café', 'Téléphone 😀 end', '😀first', 'ascii then 日本語']) {
      out.fill(0xff);
      const end = writeUtf8(s, out, 3);
      const expected = new TextEncoder().encode(s);
      expect(end).toBe(3 + expected.length);
      expect([...out.subarray(3, end)]).toEqual([...expected]);
      expect(out[2]).toBe(0xff);
    }
  });
});
