import { describe, expect, it } from 'bun:test';
import { HEAP_SETTINGS, missingHeapSettings, replacesImage } from './heap-settings.ts';

describe('the engine settings serve adds', () => {
  it('adds every setting the environment lacks, and none an operator set, whatever their value', () => {
    const env = { BUN_JSC_smallHeapGrowthFactor: '2', MIMALLOC_PURGE_DELAY: '' };
    const added = Object.fromEntries(missingHeapSettings(env, true));
    expect(Object.keys(added).sort()).toEqual(['BUN_JSC_concurrentGCMaxHeadroom', 'BUN_JSC_forceRAMSize']);
    expect(added.BUN_JSC_forceRAMSize).toBe(String(1 << 30));
    expect(replacesImage(env, true)).toBe(true);
  });

  it('replaces no process image once every setting is there, or where it cannot be replaced', () => {
    expect(missingHeapSettings({ ...HEAP_SETTINGS }, true)).toEqual([]);
    expect(replacesImage({ ...HEAP_SETTINGS }, true)).toBe(false);
    expect(missingHeapSettings({}, false)).toEqual([]);
    expect(replacesImage({}, false)).toBe(false);
  });
});
