import { describe, expect, it } from 'bun:test';
import { WRITE_KEY, rudderApp } from '../helpers/rudder.ts';

// What the JavaScript SDK's BeaconQueue sends: navigator.sendBeacon, a text/plain Blob, no headers of its own.
const beacon = (r: ReturnType<typeof rudderApp>, query: string, body: unknown, headers: Record<string, string> = {}) =>
  r.request(`/beacon/v1/batch${query}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: JSON.stringify(body) });

describe('the RudderStack beacon endpoint', () => {
  it('stores a batch whose write key is in the query, as POST /v1/batch would', async () => {
    const r = rudderApp();
    const res = await beacon(r, `?writeKey=${WRITE_KEY}`, { batch: [{ type: 'page', anonymousId: 'a1', name: 'Home' }, { type: 'track', anonymousId: 'a1', event: 'Left' }], sentAt: '2026-01-02T03:04:05.000Z' }, { origin: 'https://shop.example' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await r.stored()).map((e) => [e.type, e.name])).toEqual([['page', 'Home'], ['track', 'Left']]);
  });

  it('answers 401 without a write key in the query and for an unknown one, storing nothing', async () => {
    const r = rudderApp();
    // Go's query reading skips a pair holding a `;`: no write key in `writeKey=K;x=1`.
    for (const query of ['', '?writeKey=', `?writeKey=${WRITE_KEY};x=1`]) {
      const res = await beacon(r, query, { batch: [{ type: 'track', anonymousId: 'a', event: 'x' }] }, { authorization: r.auth() });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('failed to read writekey from query params\n');
    }
    const unknown = await beacon(r, '?writeKey=nope', { batch: [{ type: 'track', anonymousId: 'a', event: 'x' }] });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toBe('invalid write key\n');
    expect(await r.stored()).toEqual([]);
    expect(r.deps.drops.get('unknown-write-key')).toBe(4);
  });

  it('reads the write key up to its first colon, as the gateway\'s Basic auth header does, and no query of more than 10,000 parameters', async () => {
    const r = rudderApp();
    const body = { batch: [{ type: 'track', anonymousId: 'a', event: 'x' }] };
    expect((await beacon(r, `?writeKey=${WRITE_KEY}:junk`, body)).status).toBe(200);
    const blank = await beacon(r, `?writeKey=:${WRITE_KEY}`, body);
    expect([blank.status, await blank.text()]).toEqual([401, 'failed to read writekey from header\n']);
    const many = await beacon(r, `?writeKey=${WRITE_KEY}${'&'.repeat(10_000)}`, body);
    expect([many.status, await many.text()]).toEqual([401, 'failed to read writekey from query params\n']);
    expect((await r.stored()).map((e) => e.name)).toEqual(['x']);
  });

  it('answers 400 to a body that is not a batch, and 405 to other methods', async () => {
    const r = rudderApp();
    expect((await beacon(r, `?writeKey=${WRITE_KEY}`, { type: 'track', anonymousId: 'a', event: 'x' })).status).toBe(400);
    const get = await r.request(`/beacon/v1/batch?writeKey=${WRITE_KEY}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});
