import { describe, expect, it } from 'bun:test';
import { parseGoQuery, queryFirstValue, queryGet } from './go-query.ts';
import { prng, randomQuery } from '../../test/helpers/rudder-fuzz.ts';

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
