import { expect, it } from 'bun:test';
import { addServerFields, pixelQueryToMessage } from './rudder-message.ts';
import { assertMessageFromQuery, prng, randomQuery } from '../../test/helpers/rudder-fuzz.ts';

it('maps 10 000 random queries without throwing, to JSON that round-trips, holds only first values of the query and puts plain dotted keys at their paths', () => {
  const r = prng(20240102);
  const now = Date.UTC(2024, 0, 2, 3, 4, 5, 600);
  const server = new Set(['web', '2024-01-02T03:04:05.6Z', 'page', 'track', 'Unknown Page', 'm', '1.2.3.4', '2024-01-02T03:04:05.600Z']);
  let keysChecked = 0;
  for (let i = 0; i < 10_000; i++) {
    const q = randomQuery(r);
    const type = r() < 0.5 ? 'page' : 'track';
    const res = pixelQueryToMessage(q, type, now);
    if (!('message' in res)) continue;
    addServerFields(res.message, { nowMs: now, requestIp: '1.2.3.4', messageIdFactory: () => 'm' });
    const json = JSON.stringify(res.message);
    expect(JSON.parse(json)).toEqual(res.message);
    keysChecked += assertMessageFromQuery(res.message, q, new Set([...server, res.message.rudderId as string]));
  }
  expect(keysChecked).toBeGreaterThan(2000);
});

it('has a check that refuses a later repeat\'s value, a value under another key and a value from nowhere', () => {
  const q = 'properties.a=1&properties.a=2&context.b=3&c=%22q%22';
  const ok = { properties: { a: '1' }, context: { b: '3' }, c: '"q"', anonymousId: 'q' };
  expect(assertMessageFromQuery(ok, q, new Set())).toBe(3);
  expect(() => assertMessageFromQuery({ ...ok, properties: { a: '2' } }, q, new Set())).toThrow('leaf "2" is no first value');
  expect(() => assertMessageFromQuery({ ...ok, context: { b: '1' } }, q, new Set())).toThrow('key context.b holds "1"');
  expect(() => assertMessageFromQuery({ ...ok, x: 'made up' }, q, new Set())).toThrow('leaf "made up" is no first value');
  // A pair with a malformed escape or a semicolon is dropped, as Go drops it: its value may not appear.
  expect(() => assertMessageFromQuery({ d: '4' }, 'd=4%zz&d=4', new Set())).not.toThrow();
  expect(() => assertMessageFromQuery({ e: '5' }, 'e=5;x', new Set())).toThrow('leaf "5" is no first value');
});
