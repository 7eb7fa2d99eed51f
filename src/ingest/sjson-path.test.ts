import { describe, expect, it } from 'bun:test';
import { parseSjsonPath, parseSjsonPathCached, sjsonPathCacheSize } from './sjson-path.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';

describe('parseSjsonPathCached', () => {
  it('returns what parseSjsonPath does, and holds no key longer than 256 characters', () => {
    const before = sjsonPathCacheSize();
    expect(parseSjsonPathCached('properties.items.0')).toEqual(parseSjsonPath('properties.items.0'));
    const after = sjsonPathCacheSize();
    expect(after === before + 1 || after === 1).toBe(true);
    for (let i = 0; i < 20; i++) {
      const long = `properties.k${i}.${'x'.repeat(300_000)}`;
      expect(parseSjsonPathCached(long)).toEqual(parseSjsonPath(long));
    }
    expect(sjsonPathCacheSize()).toBe(after);
  });

  it('keeps no view on a long text a cached path was cut from', () => {
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) parseSjsonPathCached(flatText(`properties.kept${i}.x|`, 200_000).slice(0, 20));
    });
    expect(kept).toBeLessThan(2_000_000);
  });
});
