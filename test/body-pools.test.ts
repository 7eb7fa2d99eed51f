import { afterEach, describe, expect, it } from 'bun:test';
import { BODY_BUDGET_BYTES, INGEST_BODIES } from '../src/http/request-values.ts';
import { SITE, prismeApp, randomIp } from './helpers/prisme.ts';
import { rudderApp } from './helpers/rudder.ts';

describe('while the ingestion bodies being read fill their pool', () => {
  // The pool is the process's: filled by hand here, as slow uploads would fill it.
  const fill = () => expect(INGEST_BODIES.take(BODY_BUDGET_BYTES - INGEST_BODIES.bytes)).toBe(true);
  afterEach(() => INGEST_BODIES.give(INGEST_BODIES.bytes));

  it('answers the RudderStack HTTP API 503 with Retry-After, counted, before reading the body', async () => {
    const r = rudderApp();
    fill();
    const res = await r.api('track', { anonymousId: 'a', event: 'x' });
    expect([res.status, res.headers.get('retry-after'), await res.text()]).toEqual([503, '1', 'service unavailable: too many bodies being read\n']);
    expect(r.deps.drops.get('buffer-full')).toBe(1);
  });

  it('answers a Prisme custom event 503 with Retry-After, and still takes pageviews, which have no body', async () => {
    const p = prismeApp();
    const ip = randomIp();
    fill();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    const res = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-type': 'application/json' }), '{"a":1}');
    expect([res.status, res.headers.get('retry-after'), res.headers.get('x-footfall-reason')]).toEqual([503, '1', 'too many bodies being read']);
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
