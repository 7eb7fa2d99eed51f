import { describe, expect, it } from 'bun:test';
import { writeUtf8 } from './write-utf8.ts';

describe('writeUtf8', () => {
  it('writes the same bytes as TextEncoder, at the offset given, and says where they end', () => {
    const out = Buffer.alloc(64);
    // Latin-1 text made at run time is held 8 bits a character, as header values are.
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff]).toString('latin1');
    for (const s of ['', 'plain ascii', 'café', latin1, 'Téléphone 😀 end', '😀first', 'ascii then 日本語', 'lone \ud800 surrogate', 'ends high \ud83d', '\ude00 starts low', 'ÿĀ']) {
      out.fill(0xff);
      const end = writeUtf8(s, out, 3);
      const expected = new TextEncoder().encode(s);
      expect(end).toBe(3 + expected.length);
      expect([...out.subarray(3, end)]).toEqual([...expected]);
      expect(out[2]).toBe(0xff);
      expect(out[end]).toBe(0xff);
    }
  });

  it('writes parts one after another, as the id hashes lay them out', () => {
    const out = Buffer.alloc(64);
    let n = writeUtf8('id', out, 0);
    out[n++] = 0;
    n = writeUtf8('1.2.3.4', out, n);
    expect(out.subarray(0, n).toString('latin1')).toBe('id\u00001.2.3.4');
  });
});
