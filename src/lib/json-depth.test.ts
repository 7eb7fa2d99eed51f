import { describe, expect, test } from 'bun:test';
import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.ts';

const nested = (d: number, open = '[', close = ']') => `{"a":${open.repeat(d)}${close.repeat(d)}}`;

describe('jsonTooDeep', () => {
  test('nesting up to the limit passes, one level more does not', () => {
    // The outer object is one level.
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH - 1))).toBe(false);
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(true);
    expect(jsonTooDeep(nested(100_000, '{"b":', '}'))).toBe(true);
  });

  test('brackets inside strings, escaped quotes included, do not count', () => {
    const s = JSON.stringify({ a: '['.repeat(20_000) + '"\\' + '{'.repeat(20_000) });
    expect(jsonTooDeep(s)).toBe(false);
    expect(JSON.parse(s).a.length).toBe(40_002);
  });

  test('long but flat text is not deep', () => {
    expect(jsonTooDeep(JSON.stringify(Array.from({ length: 30_000 }, (_, i) => [i])))).toBe(false);
  });

  test('a smaller limit applies when given', () => {
    expect(jsonTooDeep('[[[1]]]', 2)).toBe(true);
    expect(jsonTooDeep('[[[1]]]', 3)).toBe(false);
  });
});
