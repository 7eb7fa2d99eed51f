import { describe, expect, it } from 'bun:test';
import { UUID_HOLD_MS, isUuid, uuidv7 } from './uuid.ts';

/** The milliseconds a UUIDv7 carries in its first 48 bits. */
const msOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('carries the time it is given', () => {
    const t = Date.UTC(2030, 2, 16, 12);
    expect(msOf(uuidv7(t))).toBe(t);
  });

  it('keeps the last time used when the clock steps back a little, so ids stay ordered', () => {
    const t = Date.UTC(2030, 2, 16, 13);
    const a = uuidv7(t);
    const b = uuidv7(t - 2_000);
    expect(msOf(b)).toBe(t);
    expect(b > a).toBe(true);
  });

  it('follows a clock put right after running far ahead, instead of keeping its wrong time', () => {
    const ahead = Date.UTC(2031, 5, 1, 12);
    expect(msOf(uuidv7(ahead))).toBe(ahead);
    const right = Date.UTC(2030, 2, 16, 14);
    expect(msOf(uuidv7(right))).toBe(right);
    expect(msOf(uuidv7(right + 1))).toBe(right + 1);
    expect(msOf(uuidv7(right + 1 - UUID_HOLD_MS))).toBe(right + 1);
  });

  it('makes a valid id for a clock before 1970, at time 0, instead of throwing', () => {
    const id = uuidv7(Date.UTC(1969, 11, 31, 23, 59, 55));
    expect(isUuid(id)).toBe(true);
    expect(msOf(id)).toBe(0);
    expect(msOf(uuidv7(Number.NaN))).toBe(0);
  });
});
