import { afterEach, describe, expect, it } from 'bun:test';
import { gzipSync } from 'node:zlib';
import { BODY_BUDGET_BYTES, INGEST_BODIES, MANAGEMENT_BODIES, SMALL_BODY_BYTES } from '../src/http/request-values.ts';
import { SITE, prismeApp, randomIp } from './helpers/prisme.ts';
import { rudderApp } from './helpers/rudder.ts';

describe('while the ingestion bodies being read fill their pool', () => {
  // The pool is the process's: filled by hand here, as slow uploads would fill it. Big uploads
  // fill it up to its reserve for small bodies; small ones held open, the reserve too.
  const fillWithBig = () => expect(INGEST_BODIES.take(BODY_BUDGET_BYTES - INGEST_BODIES.bytes)).toBe(true);
  const fill = () => expect(INGEST_BODIES.take(BODY_BUDGET_BYTES + INGEST_BODIES.reserve - INGEST_BODIES.bytes, 0)).toBe(true);
  afterEach(() => INGEST_BODIES.give(INGEST_BODIES.bytes));

  it('still reads small bodies while big uploads hold all but its reserve: a RudderStack call and a custom event are taken, a big batch is not', async () => {
    const r = rudderApp();
    fillWithBig();
    expect((await r.api('track', { anonymousId: 'a', event: 'x' })).status).toBe(200);
    const bigBatch = { batch: Array.from({ length: 100 }, (_, i) => ({ type: 'track', anonymousId: `a${i}`, event: 'Bulk upload' })) };
    expect(JSON.stringify(bigBatch).length).toBeGreaterThan(SMALL_BODY_BYTES);
    expect((await r.api('batch', bigBatch)).status).toBe(503);
    // Gzip makes it small on the wire, not in memory: no reserve for it.
    const zipped = gzipSync(JSON.stringify(bigBatch));
    expect(zipped.length).toBeLessThan(SMALL_BODY_BYTES);
    expect((await r.api('batch', zipped, { 'content-encoding': 'gzip' })).status).toBe(503);
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-type': 'application/json' }), '{"a":1}')).status).toBe(200);
  });

  it('answers the RudderStack HTTP API 503 with Retry-After, counted, before reading the body', async () => {
    const r = rudderApp();
    fill();
    const res = await r.api('track', { anonymousId: 'a', event: 'x' });
    expect([res.status, res.headers.get('retry-after'), await res.text()]).toEqual([503, '1', 'service unavailable: too many bodies being read\n']);
    // Counted apart from a full write buffer: raising --buffer-max would do nothing for it.
    expect([r.deps.drops.get('bodies-busy'), r.deps.drops.get('buffer-full')]).toEqual([1, 0]);
  });

  it('answers a Prisme custom event 503 with Retry-After, and still takes pageviews, which have no body', async () => {
    const p = prismeApp();
    const ip = randomIp();
    fill();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    const res = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-type': 'application/json' }), '{"a":1}');
    expect([res.status, res.headers.get('retry-after'), res.headers.get('x-footfall-reason')]).toEqual([503, '1', 'too many bodies being read']);
    expect([p.deps.drops.get('bodies-busy'), p.deps.drops.get('buffer-full')]).toEqual([1, 0]);
  });

  it('lets an admin log in: the management API reads its bodies from a pool of its own', async () => {
    const p = prismeApp();
    const { request } = p;
    await p.meta.users.update(p.meta.users.byUsername('admin')!.id, { passwordHash: await p.deps.passwords!.hash('admin password 1') }, p.clock());
    fill();
    const login = await request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin password 1' }) });
    expect(login.status).toBe(200);
  });
});

describe('while slow uploads fill the management API\'s pool', () => {
  const big = () => expect(MANAGEMENT_BODIES.take(MANAGEMENT_BODIES.maxBytes - MANAGEMENT_BODIES.bytes)).toBe(true);
  const all = () => expect(MANAGEMENT_BODIES.take(MANAGEMENT_BODIES.maxBytes + MANAGEMENT_BODIES.reserve - MANAGEMENT_BODIES.bytes, 0)).toBe(true);
  afterEach(() => MANAGEMENT_BODIES.give(MANAGEMENT_BODIES.bytes));

  async function adminLogin() {
    const p = prismeApp();
    await p.meta.users.update(p.meta.users.byUsername('admin')!.id, { passwordHash: await p.deps.passwords!.hash('admin password 1') }, p.clock());
    return () => p.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin password 1' }) });
  }

  it('lets an admin log in while big bodies hold all of it but the reserve for small ones', async () => {
    const login = await adminLogin();
    big();
    expect((await login()).status).toBe(200);
  });

  it('answers 503 with Retry-After once small bodies held open fill the reserve too', async () => {
    const login = await adminLogin();
    all();
    const res = await login();
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('service-unavailable');
  });
});
