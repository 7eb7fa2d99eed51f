import { describe, expect, it } from 'bun:test';
import { hasExactNumbers, holdsExactNumbers, parseJsonExact } from './exact-json.ts';

describe('parseJsonExact', () => {
  it('parses as JSON.parse when every number comes back as written, marking nothing', () => {
    const text = '{"a":1,"b":-2.5,"c":[true,null,"1e400"],"d":{"e":0.1},"f":123456789012345}';
    const v = parseJsonExact(text);
    expect(v).toEqual(JSON.parse(text));
    expect(hasExactNumbers(v)).toBe(false);
  });

  it('keeps the text of numbers a double cannot give back, at any depth, and JSON.stringify writes them as received', () => {
    const text = '{"big":1e400,"neg":-1e400,"id":12345678901234567890,"deep":{"list":[1,9007199254740993]},"plain":2}';
    const v = parseJsonExact(text) as Record<string, unknown>;
    expect(JSON.stringify(v)).toBe(text);
    expect([hasExactNumbers(v), hasExactNumbers(v.deep), hasExactNumbers((v.deep as { list: unknown }).list)]).toEqual([true, true, true]);
    expect(v.plain).toBe(2);
  });

  it('keeps an exponent form as written once any number needs its text', () => {
    expect(JSON.stringify(parseJsonExact('{"a":1E2,"b":2.50e-3}'))).toBe('{"a":1E2,"b":2.50e-3}');
    expect(JSON.stringify(parseJsonExact('1e400'))).toBe('1e400');
    expect(hasExactNumbers(parseJsonExact('1e400'))).toBe(true);
  });

  it('throws on malformed JSON, as JSON.parse does', () => {
    expect(() => parseJsonExact('{"a":1e400')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a":1}x')).toThrow(SyntaxError);
  });

  it('marks a container built around a parsed value that holds kept texts', () => {
    const holder: Record<string, unknown> = { big: parseJsonExact('1e400') };
    expect(hasExactNumbers(holder)).toBe(false);
    holdsExactNumbers(holder, holder.big);
    expect(hasExactNumbers(holder)).toBe(true);
    const other = { small: 1 };
    holdsExactNumbers(other, 1);
    expect(hasExactNumbers(other)).toBe(false);
  });
});
