import { describe, expect, it } from 'bun:test';
import { flatText, heapKept } from '../../test/helpers/retained.ts';
import { detach } from './detach.ts';

describe('detach', () => {
  it('returns an equal text, lone surrogates and NULs included', () => {
    for (const s of ['', 'abc', 'ünï©ødé', '\ud800x\udfff', 'a\u0000b', '"\\\n']) expect(detach(s)).toBe(s);
  });

  it('keeps nothing of the long text a short cut was taken from, where the cut itself keeps it all', () => {
    const cuts = (copy: (s: string) => string) => {
      const kept: string[] = [];
      const bytes = heapKept(() => {
        for (let i = 0; i < 100; i++) kept.push(copy(flatText(`key-${i}-`, 200_000).slice(0, 20)));
      });
      expect(kept.length).toBe(100);
      return bytes;
    };
    // 100 × 200 KB: ~20 MB held by views, ~nothing by copies.
    expect(cuts((s) => s)).toBeGreaterThan(15_000_000);
    expect(cuts(detach)).toBeLessThan(1_000_000);
  });
});
