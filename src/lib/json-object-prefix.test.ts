import { describe, expect, it } from 'bun:test';
import { readJsonObjectPrefix } from './json-object-prefix.ts';

const value = (text: string) => {
  const r = readJsonObjectPrefix(text);
  if (!r.ok) throw new Error(`${JSON.stringify(text)}: ${r.reason}`);
  return r.value;
};
const reason = (text: string, maxDepth?: number) => {
  const r = readJsonObjectPrefix(text, maxDepth);
  return r.ok ? 'ok' : r.reason;
};

describe('readJsonObjectPrefix', () => {
  it('reads the object a text starts with, after JSON whitespace, and nothing after its closing brace', () => {
    expect(value('{"a":1}')).toEqual({ a: 1 });
    expect(value(' \t\r\n{"a":[1,{"b":null}],"c":"}"}')).toEqual({ a: [1, { b: null }], c: '}' });
    expect(value('{"a":1}garbage')).toEqual({ a: 1 });
    expect(value('{"a":1}}]"')).toEqual({ a: 1 });
    expect(value('{}{"a":1}')).toEqual({});
  });

  it('is not fooled by brackets, quotes and backslashes inside strings', () => {
    expect(value('{"a\\"}":"{[\\\\","b":"\\\\"}tail')).toEqual({ 'a"}': '{[\\', b: '\\' });
  });

  it('refuses an unpaired surrogate escape in a name or a string at any depth, as jsontext; takes pairs, other escapes, and whatever follows the object', () => {
    for (const text of [String.raw`{"x":"\ud800"}`, String.raw`{"k\uDC00":1}`, String.raw`{"o":[{"d":"a\udbffb"}]}`, String.raw`{"x":"\ude00\ud83d"}`, String.raw`{"x":"\ud800\u0041"}`, String.raw`{"x":"\ud800\n"}`]) {
      expect([text, reason(text)]).toEqual([text, 'unpaired surrogate escape in a JSON string']);
    }
    expect(value(String.raw`{"x":"\ud83d\ude00","y":"\\ud800","z":"\u00e9\\","w":"\uDBFF\uDFFF"}`)).toEqual({ x: '😀', y: '\\ud800', z: 'é\\', w: '\u{10FFFF}' });
    expect(value(String.raw`{"a":1}"\ud800"`)).toEqual({ a: 1 });
  });

  it('refuses a text that does not start with an object', () => {
    for (const text of ['', '   ', '[1]', '"a"', '1', 'true', 'null', 'x{"a":1}', '\u00a0{"a":1}']) expect([text, reason(text)]).toEqual([text, 'not a JSON object']);
  });

  it('refuses an object that is malformed or never closed', () => {
    for (const text of ['{', '{"a":', '{"a":1', '{"a":1,}', "{'a':1}", '{"a" 1}', '{"a":[1}', '{"a":tru}', '{"a":"\\x"}', '{"a":"unclosed}']) {
      expect([text, reason(text)]).toEqual([text, 'malformed JSON']);
    }
  });

  it('refuses a name repeated within one object, compared as decoded, at any depth', () => {
    for (const text of ['{"a":1,"a":2}', '{"a":1,"b":2,"a":3}', '{"a":1,"\\u0061":2}', '{"o":{"k":1,"k":2}}', '{"l":[{"k":1,"k":2}]}']) {
      expect([text, reason(text)]).toEqual([text, 'duplicate name in a JSON object']);
    }
  });

  it('takes the same name in different objects, and names repeated as values or array items', () => {
    expect(value('{"a":"a","b":"a","o":{"a":1},"l":[{"a":1},{"a":2}],"s":["a","a"]}')).toEqual({ a: 'a', b: 'a', o: { a: 1 }, l: [{ a: 1 }, { a: 2 }], s: ['a', 'a'] });
    // A name after a nested object's end belongs to the outer object again.
    expect(reason('{"o":{"x":1},"x":2}')).toBe('ok');
    expect(reason('{"o":{"x":1},"o":2}')).toBe('duplicate name in a JSON object');
  });

  it('keeps __proto__ as a property, not a prototype', () => {
    const v = value('{"__proto__":{"polluted":true}}');
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than the limit (10,000 by default, as Go)', () => {
    expect(reason('{"a":[[[]]]}', 4)).toBe('ok');
    expect(reason('{"a":[[[[]]]]}', 4)).toBe('JSON nested too deeply');
    expect(reason(`{"a":${'['.repeat(9_999)}${']'.repeat(9_999)}}`)).toBe('ok');
    expect(reason(`{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)).toBe('JSON nested too deeply');
  });
});
