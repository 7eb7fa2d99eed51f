import { describe, expect, it } from 'bun:test';
import { stuckDurableBuffer, testApp } from '../helpers/test-app.ts';
import { accountsWorld, PASSWORD } from '../helpers/accounts-fixture.ts';
import { json, world } from '../helpers/management.ts';

describe('CORS on the management API', () => {
  it('answers Umami\'s CORS headers on /api/* and 204 to a preflight, leaving Prisme\'s /api/v1/* alone', async () => {
    const t = testApp();
    const res = await t.request('/api/websites');
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const pre = await t.request('/api/auth/login', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toBe('*');
    // Next.js answers OPTIONS on a route with GET itself: 204 with Allow (its methods, HEAD, OPTIONS).
    const id = '7d4f0c1e-0000-4000-8000-000000000000';
    for (const [path, allow] of [['/api/pixels', 'GET, HEAD, OPTIONS, POST'], [`/api/pixels/${id}`, 'DELETE, GET, HEAD, OPTIONS, POST'], [`/api/teams/${id}/pixels`, 'GET, HEAD, OPTIONS'], ['/api/auth/login', null]] as const) {
      const res = await t.request(path, { method: 'OPTIONS' });
      expect([path, res.status, res.headers.get('allow'), res.headers.get('access-control-allow-origin')]).toEqual([path, 204, allow, '*']);
    }
    const prisme = await t.request('/api/v1/healthcheck');
    expect(prisme.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('puts them on successful answers and on unknown /api/* paths too, and on no ingestion answer', async () => {
    const { request } = await world();
    const ok = await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
    expect(ok.headers.get('cache-control')).toBe('no-cache');
    const unknown = await request('/api/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } };
    const health = await request('/api/v1/healthcheck', preflight);
    expect(health.status).toBe(200); // Prisme's healthcheck takes any method
    expect(health.headers.get('access-control-allow-methods')).toBeNull();
    const nowhere = await request('/api/v1/nowhere', preflight);
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers.get('access-control-allow-methods')).toBeNull();
    for (const path of ['/pixel/v1/page?writeKey=x&anonymousId=a', '/p/no-such-pixel', '/api/v1/noscript/events/pageviews']) {
      const res = await request(path);
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      expect(res.headers.get('cache-control')).not.toBe('no-cache');
    }
  });
});

describe('GET /api/metrics', () => {
  it('shows admins the buffer, drops by reason and cache sizes, and refuses everyone else', async () => {
    const t = testApp(['--origins', 'mywebsite.localhost']);
    const world = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    await t.request('/api/v1/events/pageviews', { method: 'POST', headers: { origin: 'https://evil.example', 'x-prisme-referrer': 'https://evil.example/' } });
    const res = await t.request('/api/metrics', { headers: { authorization: world.auth.admin! } });
    expect(res.status).toBe(200);
    const m = (await res.json()) as { drops: Record<string, number>; buffer: { accepted: number }; memory: { rssBytes: number } };
    expect(m.drops['unknown-origin']).toBe(1);
    expect(m.buffer.accepted).toBe(0);
    expect(m.memory.rssBytes).toBeGreaterThan(0);
    expect((await t.request('/api/metrics', { headers: { authorization: world.auth.owner! } })).status).toBe(401);
    expect((await t.request('/api/metrics')).status).toBe(401);
  });

  it('shows durable acks answered 503 and how long the oldest write has been under way', async () => {
    const stuck = stuckDurableBuffer();
    const t = testApp(['--origins', 'mywebsite.localhost', '--ack', 'durable'], { buffer: stuck.buffer });
    const world = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    const pageview = t.request('/api/v1/events/pageviews', { method: 'POST', headers: { origin: 'https://mywebsite.localhost', 'x-prisme-referrer': 'https://mywebsite.localhost/' } });
    await new Promise<void>((r) => setImmediate(r));
    stuck.late();
    expect((await pageview).status).toBe(503);
    const m = (await (await t.request('/api/metrics', { headers: { authorization: world.auth.admin! } })).json()) as { buffer: { lateAcks: number; writingForMs: number; waiting: number } };
    // The full disk refuses each write at once: none is under way (a held one: write-buffer.test.ts).
    expect(m.buffer).toMatchObject({ lateAcks: 1, waiting: 1, writingForMs: 0 });
  });

  it('says how many addresses the full limiter table forgot while their buckets were refilling (their limits started over)', async () => {
    const t = testApp(['--trust-proxy', '--limiter-max-keys', '1000']);
    const world = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    // Each takes a token (the limiter comes before the origin check) from a bucket of its own.
    for (let i = 0; i < 1100; i++)
      await t.request('/api/v1/events/pageviews', { method: 'POST', headers: { origin: 'https://evil.example', 'x-forwarded-for': `198.51.${i >> 8}.${i & 255}` } });
    const m = (await (await t.request('/api/metrics', { headers: { authorization: world.auth.admin! } })).json()) as { limiter: Record<string, number> };
    expect(m.limiter).toEqual({ trackedAddresses: 1000, pixelTrackedAddresses: 0, forgottenWhileRefilling: 100, pixelForgottenWhileRefilling: 0 });
  });
});
