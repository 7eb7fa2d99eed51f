import { expect, it } from 'bun:test';
import { addServerFields, pixelQueryToMessage } from './rudder-message.ts';
import { assertLeavesFromQuery, prng, randomQuery } from '../../test/helpers/rudder-fuzz.ts';

it('maps 10 000 random queries without throwing, to JSON that round-trips and holds only query values', () => {
  const r = prng(20240102);
  const now = Date.UTC(2024, 0, 2, 3, 4, 5, 600);
  const server = new Set(['web', '2024-01-02T03:04:05.6Z', 'page', 'track', 'Unknown Page', 'm', '1.2.3.4', '2024-01-02T03:04:05.600Z']);
  for (let i = 0; i < 10_000; i++) {
    const q = randomQuery(r);
    const type = r() < 0.5 ? 'page' : 'track';
    const res = pixelQueryToMessage(q, type, now);
    if (!('message' in res)) continue;
    addServerFields(res.message, { nowMs: now, requestIp: '1.2.3.4', messageIdFactory: () => 'm' });
    const json = JSON.stringify(res.message);
    expect(JSON.parse(json)).toEqual(res.message);
    assertLeavesFromQuery(res.message, q, new Set([...server, res.message.rudderId as string]));
  }
});
