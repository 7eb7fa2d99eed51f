import { describe, expect, it } from 'bun:test';
import { goFloat, goString, stringifyAny } from './go-json.ts';
import { rudderId } from './rudder-message.ts';
import { parseJsonKeepingNumbers } from '../lib/exact-json.ts';

describe('stringifyAny', () => {
  it('reads an id as the gateway does: a number as json.Marshal writes a float64, even one sent with more digits than a double holds', () => {
    const m = parseJsonKeepingNumbers('{"a":12345678901234567890,"b":-0,"c":1.50,"d":1e21,"e":2.5e-7,"f":1e400,"g":42,"h":0.1,"i":[1.50]}')!.value as Record<string, unknown>;
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k) => stringifyAny(m[k]))).toEqual([
      '12345678901234567000', '-0', '1.5', '1e+21', '2.5e-7', '+Inf', '42', '0.1', '[1.5]',
    ]);
    expect([stringifyAny(1e21), stringifyAny(-1.5e-7), stringifyAny(true), stringifyAny(null), stringifyAny(undefined), stringifyAny('x')]).toEqual(['1e+21', '-1.5e-7', 'true', '', '', 'x']);
  });

  it('reads an id sent as an object or array as json.Marshal writes what gjson decoded: keys in byte order, HTML characters escaped, numbers as float64s', () => {
    const id = parseJsonKeepingNumbers(String.raw`{"b":1,"a":"<x>&","\u00e9":2,"\ud83d\ude00":3,"\uffff":4,"c":[1.50,-0,null,true,{"z":0,"y":"\u2028\u0001\b\f\ud800"}]}`)!.value;
    // U+FFFF sorts before U+1F600 by code point (UTF-8 bytes), after it by UTF-16 unit.
    expect(stringifyAny(id)).toBe('{"a":"\\u003cx\\u003e\\u0026","b":1,"c":[1.5,-0,null,true,{"y":"\\u2028\\u0001\\b\\f\ufffd","z":0}],"\u00e9":2,"\uffff":4,"\ud83d\ude00":3}');
    expect(stringifyAny(['x', 1e21, 0.1])).toBe('["x",1e+21,0.1]');
    // rudderId hashes that text: two spellings of one object are one visitor.
    expect(rudderId('', stringifyAny({ b: 1, a: 2 }))).toBe(rudderId('', stringifyAny({ a: 2, b: 1 })));
    expect(goString('tab\there "quoted" \\ \u007f')).toBe('"tab\\there \\"quoted\\" \\\\ \u007f"');
    // Keys with lone surrogates are U+FFFD in the Go map: two of them are one key, the later value, sorted as U+FFFD.
    expect(stringifyAny(JSON.parse(String.raw`{"\ud800":1,"\ue000":2,"\udc00":3}`))).toBe('{"\ue000":2,"\ufffd":3}');
    // Code point order, wherever the keys first differ, and a prefix before its longer key.
    const keys = ['b', 'a\uffff', 'a\ud83d\ude00', 'a\ud7ff', 'a', 'ab', '\u00e9', '\ue000x', '\ud800\udc00'];
    const sorted = [...keys].sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(stringifyAny(Object.fromEntries(keys.map((k, i) => [k, i])))).toBe(`{${sorted.map((k) => `"${k}":${keys.indexOf(k)}`).join(',')}}`);
  });

  it('writes a float64 as Go\'s json.Marshal does, and what it refuses as fmt.Sprint does', () => {
    expect([1.5, 1.2345e25, 1e-7, 0.000001, -0, -Infinity, NaN, 123.456].map(goFloat)).toEqual(['1.5', '1.2345e+25', '1e-7', '0.000001', '-0', '-Inf', 'NaN', '123.456']);
  });
});

