import { describe, expect, it } from 'bun:test';
import { parseGoQuery, queryFirstValue, queryGet } from './go-query.ts';
import { prng, randomQuery } from '../../test/helpers/rudder-fuzz.ts';
import { flatText, heapKept } from '../../test/helpers/retained.ts';

const full = (q: string, key: string) => queryGet(parseGoQuery(q), key);

describe('queryFirstValue', () => {
  it('finds the first value of a key, decoded, and nothing for a missing key', () => {
    expect(queryFirstValue('a=1&writeKey=k%20y&writeKey=2', 'writeKey')).toBe('k y');
    expect(queryFirstValue('writeKey=a+b', 'writeKey')).toBe('a b');
    expect(queryFirstValue('writeKey', 'writeKey')).toBe('');
    expect(queryFirstValue('writeKeys=1&xwriteKey=2', 'writeKey')).toBeUndefined();
    expect(queryFirstValue('', 'writeKey')).toBeUndefined();
  });

  it('decodes keys as Go does, and skips pairs Go drops: a semicolon, or a bad escape in key or value', () => {
    expect(queryFirstValue('write%4Bey=1', 'writeKey')).toBe('1');
    expect(queryFirstValue('writeKey=a;b&writeKey=2', 'writeKey')).toBe('2');
    expect(queryFirstValue('writeKey=%zz&writeKey=3', 'writeKey')).toBe('3');
    expect(queryFirstValue('write%zzKey=1&writeKey=4', 'writeKey')).toBe('4');
    expect(queryFirstValue('writeKey=x%3By', 'writeKey')).toBe('x;y');
  });

  it('agrees with the full parse on 20k random hostile queries, for the write key and other keys', () => {
    const r = prng(20261126);
    const tricky = ['writeKey=a', 'writeKey=%zz', 'write%4Bey=b', 'writeKey;=c', 'writeKey=d;e', 'writeKey', 'writeKey=', 'writeKey=%E2%82', 'writeKey=x%3By', 'writeKey=+a+', 'writeKey=%C3%A9'];
    const keys = ['writeKey', 'context.userAgent', 'a', 'anonymousId', 'a.b', 'é', ''];
    for (let i = 0; i < 20_000; i++) {
      let q = randomQuery(r);
      for (let j = Math.floor(r() * 3); j > 0; j--) q += '&' + tricky[Math.floor(r() * tricky.length)];
      for (const key of keys) {
        const got = queryFirstValue(q, key);
        if (got !== full(q, key)) throw new Error(`${JSON.stringify(q)} ${key}: ${JSON.stringify(got)} vs ${JSON.stringify(full(q, key))}`);
      }
    }
    expect(queryFirstValue('writeKey=%C3%A9', 'writeKey')).toBe('é');
  });

});

describe('parseGoQuery', () => {
  it('keeps neither long keys nor the long queries short keys were cut from in its table of recent keys', () => {
    // 100 keys of ~200 KB, then 100 short keys in queries of 200 KB, of lengths that spread them
    // over the table's slots: ~20 MB each if it kept them.
    const kept = heapKept(() => {
      for (let i = 0; i < 100; i++) expect(queryGet(parseGoQuery(`${flatText(`long-key-${i}-`, 200_000 + i)}=1`), 'x')).toBeUndefined();
      for (let i = 0; i < 100; i++) parseGoQuery(flatText(`k${'-'.repeat(i)}${i}=`, 200_000));
    });
    expect(kept).toBeLessThan(2_000_000);
    expect(full('k=1&long=2', 'long')).toBe('2');
  });
});
