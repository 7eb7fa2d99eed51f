import { describe, expect, it } from 'bun:test';
import { firstMemberText } from './json-first-member.ts';

describe('firstMemberText', () => {
  it('finds the first of a repeated top-level name, where JSON.parse keeps the last', () => {
    const text = '{"batch":[],"batch":[{"type":"track"}]}';
    expect(firstMemberText(text, 'batch')).toBe('[]');
    expect((JSON.parse(text) as { batch: unknown[] }).batch).toHaveLength(1);
  });

  it('skips the values before it whatever they hold: strings with quotes, braces and escapes, nested objects, numbers, literals', () => {
    const text = ' { "a" : "x\\"}]{[,\\\\" , "n": -1.5e3 ,"t":true, "o": {"batch": 1, "s": "}"}, "arr": [[{"batch":2}], "]"] , "batch" : {"k": "v"} , "batch": 3 } ';
    expect(firstMemberText(text, 'batch')).toBe('{"k": "v"}');
    expect(firstMemberText(text, 'n')).toBe('-1.5e3');
    expect(firstMemberText(text, 't')).toBe('true');
    expect(firstMemberText(text, 'a')).toBe('"x\\"}]{[,\\\\"');
  });

  it('compares names as decoded, as gjson does', () => {
    expect(firstMemberText('{"b\\u0061tch":"first","batch":"second"}', 'batch')).toBe('"first"');
  });

  it('finds nothing in a text that is no object, or an object without the name at its top level', () => {
    for (const text of ['[{"batch":1}]', '"batch"', '{}', '{"x":{"batch":1}}', 'null']) expect([text, firstMemberText(text, 'batch')]).toEqual([text, undefined]);
  });
});
