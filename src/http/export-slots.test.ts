import { describe, expect, it } from 'bun:test';
import { ApiError } from './errors.ts';
import { ExportSlots } from './export-slots.ts';

const refused = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof ApiError ? `${e.status} ${e.message}` : String(e);
  }
};

describe('export slots', () => {
  it('give each user at most their share and all users together at most the cap, answering 503 past either', () => {
    const slots = new ExportSlots(3, 2);
    slots.take('a');
    slots.take('a');
    expect(refused(() => slots.take('a'))).toBe('503 you have 2 exports streaming, the most one user may: retry once one has ended');
    slots.take('b');
    expect(refused(() => slots.take('c'))).toBe('503 3 exports are streaming, the most at once: retry once one has ended');
    expect(slots.size).toBe(3);
  });

  it('take a slot back once however often it is given back, so a second call frees no slot it does not hold', () => {
    const slots = new ExportSlots(4, 2);
    const first = slots.take('a');
    slots.take('a');
    first();
    first();
    expect(slots.size).toBe(1);
    slots.take('a');
    // Two stream again: a third is refused, as the double give-back did not count twice.
    expect(refused(() => slots.take('a'))).toStartWith('503 you have 2 exports streaming');
  });
});
