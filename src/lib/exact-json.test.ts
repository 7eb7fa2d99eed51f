import { describe, expect, it } from 'bun:test';
import { compactJson, exactJsonText, holdsRawNumbers, MAY_NEED_TEXT, isRawNumber, jsonNeedsExactText, keepExactText, numberNeedsText, parseJsonKeepingNumbers, parseStoredJson } from './exact-json.ts';

const needs = (token: string) => numberNeedsText(token, 0, token.length);

describe('numberNeedsText', () => {
  it('is false for numbers String() writes back as they were sent', () => {
    for (const t of ['0', '7', '-3', '1.5', '-0.25', '123456789012345', '9007199254740991', '0.1', '0.000001']) expect([t, needs(t)]).toEqual([t, false]);
  });

  it('is true for numbers a double does not give back as sent: out of range, past its precision, or written another way', () => {
    for (const t of ['1e400', '-1e400', '12345678901234567890', '9007199254740993', '12345678.123456789', '1.50', '1.0', '1E2', '2.5e-3', '-0', '-0.0', '1e21']) expect([t, needs(t)]).toEqual([t, true]);
  });
});

describe('numberNeedsText without a conversion', () => {
  it('agrees with String(Number(token)) on 100,000 random number tokens of up to 15 characters', () => {
    let seed = 11;
    const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const digits = (n: number) => Array.from({ length: n }, () => rnd(10)).join('');
    for (let i = 0; i < 100_000; i++) {
      const int = rnd(4) === 0 ? '0' : String(1 + rnd(9)) + digits(rnd(6));
      const frac = rnd(3) === 0 ? '' : '.' + (rnd(4) === 0 ? '0'.repeat(rnd(8)) : '') + digits(1 + rnd(6));
      const exp = rnd(6) === 0 ? 'e' + (rnd(2) ? '-' : '') + String(rnd(30)) : '';
      const token = ((rnd(3) === 0 ? '-' : '') + int + frac + exp).slice(0, 15);
      if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(token)) continue;
      const n = Number(token);
      expect([token, needs(token)]).toEqual([token, !Number.isFinite(n) || String(n) !== token]);
      // MAY_NEED_TEXT's quick look misses none of them.
      if (needs(token)) expect([token, MAY_NEED_TEXT.test(`{"k":[1,${token}]}`)]).toEqual([token, true]);
    }
  });

  it('finds every such number in a text MAY_NEED_TEXT finds none in (its quick look misses nothing)', () => {
    for (const t of ['1.50', '-0', '1e5', '0.0000001', '12345678901234567', '-0.0', '1E2', '5e-324']) {
      for (const text of [`{"a":${t}}`, `[1, ${t}]`, `{"a":[\n\t${t}]}`]) expect([text, MAY_NEED_TEXT.test(text)]).toEqual([text, true]);
    }
    for (const text of ['{"a":1.5,"b":[0,-1,27.25],"c":"1.50"}', '{"id":"0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001","n":123456789012345}']) {
      expect([text, MAY_NEED_TEXT.test(text), jsonNeedsExactText(text)]).toEqual([text, false, false]);
    }
  });
});

describe('jsonNeedsExactText', () => {
  it('looks at numbers only, never inside strings', () => {
    expect(jsonNeedsExactText('{"id":"0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001","a":[1,2.5,-3],"s":"1e400 12345678901234567890"}')).toBe(false);
    expect(jsonNeedsExactText('{"s":"a \\" 1e400","n":1e400}')).toBe(true);
    expect(jsonNeedsExactText('[[[12345678901234567890]]]')).toBe(true);
  });

  it('scans 100,000 levels of nesting without a stack of its own', () => {
    const deep = '['.repeat(100_000) + '1e400' + ']'.repeat(100_000);
    expect(jsonNeedsExactText(deep)).toBe(true);
    expect(compactJson(deep)).toBe(deep);
  });
});

describe('compactJson', () => {
  it('drops the white space between tokens and keeps strings and numbers exactly as written', () => {
    expect(compactJson('{ "a b" : 1e400 ,\n\t"c":[ 1.50 , "x \\" y\\n" ]\r\n}')).toBe('{"a b":1e400,"c":[1.50,"x \\" y\\n"]}');
    expect(compactJson('{"a":1}')).toBe('{"a":1}');
  });
});

describe('exactJsonText and parseStoredJson', () => {
  it('keeps a text only for the value it was kept for', () => {
    const v = { big: Infinity };
    expect(exactJsonText(v)).toBeUndefined();
    keepExactText(v, '{"big":1e400}');
    expect(exactJsonText(v)).toBe('{"big":1e400}');
    expect(exactJsonText(null)).toBeUndefined();
    expect(exactJsonText('{"big":1e400}')).toBeUndefined();
  });

  it('parses a stored column and keeps its text, numbers as stored', () => {
    const exact = parseStoredJson('{"big":1e400,"n":1}');
    expect(exact).toEqual({ big: Infinity, n: 1 });
    expect(exactJsonText(exact)).toBe('{"big":1e400,"n":1}');
    expect(exactJsonText(parseStoredJson('{"n":1,"s":"1e400"}'))).toBe('{"n":1,"s":"1e400"}');
    expect(exactJsonText(parseStoredJson('"text"'))).toBeUndefined();
  });
});

describe('parseJsonKeepingNumbers', () => {
  const value = (text: string) => parseJsonKeepingNumbers(text)!.value as Record<string, unknown>;

  it('parses as JSON.parse does when every number comes back from a double, marking nothing', () => {
    const text = '{"id":"0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001","n":[1,2.5,-3],"s":"1e400 12345678901234567890","o":{"t":true}}';
    const v = value(text);
    expect(v).toEqual(JSON.parse(text));
    expect(holdsRawNumbers(v)).toBe(false);
    expect(JSON.stringify(v)).toBe(text);
  });

  it('keeps each number a double cannot give back as sent, and marks every container above one', () => {
    const text = '{"a":{"order_id":12345678901234567890,"ok":1},"b":[1.50,{"x":1e400}],"c":{"n":2},"z":-0}';
    const v = value(text);
    expect(JSON.stringify(v)).toBe(text);
    const a = v.a as Record<string, unknown>;
    expect(isRawNumber(a.order_id)).toBe(true);
    expect(a.ok).toBe(1);
    expect([holdsRawNumbers(v), holdsRawNumbers(a), holdsRawNumbers(v.b), holdsRawNumbers((v.b as object[])[1]), holdsRawNumbers(v.c)]).toEqual([true, true, true, true, false]);
  });

  it('leaves strings alone, those made of what its tags are made of too (a private-use character, base64url, a colon), and sets a key named __proto__ as a key', () => {
    const text = '{"s":"\ue000AAAAAAAAAAAA:1","t":"\ue000","u":"\\ue000x:2","n":12345678901234567890,"__proto__":1.50,"a":[1.50,"\ue000:3"]}';
    const v = value(text);
    expect([v.s, v.t, v.u, (v.a as unknown[])[1]]).toEqual(['\ue000AAAAAAAAAAAA:1', '\ue000', '\ue000x:2', '\ue000:3']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(JSON.stringify(v)).toBe(text.replace('\\ue000', '\ue000'));
    // A fresh tag for every body: two parses of one text never share one.
    const tags = new Set<string>();
    const spied = crypto.getRandomValues;
    crypto.getRandomValues = ((a: Uint8Array) => (tags.add(Array.from(spied.call(crypto, a) as Uint8Array).join()), a)) as typeof crypto.getRandomValues;
    try {
      for (let i = 0; i < 20; i++) value(text);
    } finally {
      crypto.getRandomValues = spied;
    }
    expect(tags.size).toBe(20);
  });

  it('refuses malformed text and text nested deeper than the limit, and keeps a bare value as JSON.parse reads it', () => {
    expect(parseJsonKeepingNumbers('{"a":1.50.3}')).toBeNull();
    expect(parseJsonKeepingNumbers('{"a":')).toBeNull();
    expect(parseJsonKeepingNumbers('[[[1]]]', 2)).toBeNull();
    expect(JSON.stringify(parseJsonKeepingNumbers('[[1e400]]', 2)!.value)).toBe('[[1e400]]');
    expect(parseJsonKeepingNumbers('null')).toEqual({ value: null });
    expect(parseJsonKeepingNumbers('12345678901234567890')).toEqual({ value: 12345678901234567890 });
  });

  it('walks 9,000 levels of nesting without a stack of its own', () => {
    const deep = '{"a":' + '['.repeat(9000) + '12345678901234567890' + ']'.repeat(9000) + '}';
    expect(JSON.stringify(parseJsonKeepingNumbers(deep)!.value)).toBe(deep);
  });
});
