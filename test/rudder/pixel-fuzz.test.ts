import { expect, it } from 'bun:test';
import { RUDDER_GIF } from '../../src/http/gifs.ts';
import { assertMessageFromQuery, prng, randomQuery, receivedQuery } from '../helpers/rudder-fuzz.ts';
import { WRITE_KEY, rudderApp } from '../helpers/rudder.ts';

it('answers 10 000 random pixel queries with 200 and the GIF, storing JSON objects whose string leaves are first values of the query, plain dotted keys at their paths', async () => {
  const r = rudderApp(['--buffer-max', '20000', '--flush-size', '20000']);
  const rand = prng(777);
  const queries = new Map<string, string>();
  let gifs = 0;
  for (let i = 0; i < 10_000; i++) {
    // Half the queries lead with the real write key, an id and a messageId naming the query, so many are stored.
    let q = randomQuery(rand).replace('writeKey=k', `writeKey=${WRITE_KEY}`);
    if (rand() < 0.5) q = `messageId=q${i}&writeKey=${WRITE_KEY}&anonymousId=fuzz${i}&event=e&${q}`;
    queries.set(`q${i}`, q);
    const res = await r.request(`/pixel/v1/${rand() < 0.5 ? 'page' : 'track'}?${q}`);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.length === 43 && body.every((b, k) => b === RUDDER_GIF[k])) gifs++;
  }
  expect(gifs).toBe(10_000);
  await r.buffer.flush();
  // Every payload is stored as JSON text that parses back to an object.
  const texts = r.db.query('SELECT payload FROM events').values().map((row) => row[0]);
  expect(texts.length).toBeGreaterThan(3000);
  for (const text of texts) {
    expect(typeof text).toBe('string');
    const v = JSON.parse(text as string) as unknown;
    expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
  }
  let checked = 0;
  let keysChecked = 0;
  for await (const e of r.events.scan({})) {
    const payload = e.payload as Record<string, unknown>;
    const q = queries.get(payload.messageId as string);
    if (!q) continue; // a stored hit without our messageId (the random part supplied the ids)
    const server = ['web', 'page', 'track', 'Unknown Page', '127.0.0.0', payload.rudderId, payload.receivedAt, payload.sentAt, payload.originalTimestamp];
    keysChecked += assertMessageFromQuery(payload, receivedQuery(q), new Set(server as string[]));
    checked++;
  }
  expect(checked).toBeGreaterThan(3000);
  expect(keysChecked).toBeGreaterThan(1000);
});
