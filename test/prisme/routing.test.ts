import { describe, expect, it } from 'bun:test';
import { SITE, prismeApp, randomIp } from '../helpers/prisme.ts';

const json = { 'content-type': 'application/json' };

describe("Prisme's router, as upstream's fiber app reads paths", () => {
  it('ignores the case of the path: an upper-case pageview route is the pageview route', async () => {
    const p = prismeApp();
    const ip = randomIp();
    for (const [i, path] of ['/API/V1/EVENTS/PAGEVIEWS', '/api/v1/Events/pageviews'].entries()) {
      const res = await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/p${i}` }));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('60');
    }
    const noscript = await p.get(`/API/v1/NoScript/events/pageviews?referrer=${encodeURIComponent(`${SITE}/ns`)}`, { 'x-forwarded-for': ip, referer: `${SITE}/` });
    expect(noscript.status).toBe(200);
    expect(noscript.headers.get('content-type')).toBe('image/gif');
    expect((await p.get('/API/V1/HEALTHCHECK')).status).toBe(200);
    expect((await p.stored()).map((e) => e.path)).toEqual(['/p0', '/p1', '/ns']);
  });

  it('stores a custom event name as received, percent-escapes and case kept, whatever the case of the route', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    for (const name of ['foo%20bar', 'a%2Fb', '%zz', 'Sign-Up']) {
      const res = await p.post(`/api/v1/events/custom/${name}`, p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{}');
      expect(res.status).toBe(200);
    }
    expect((await p.post('/API/V1/EVENTS/CUSTOM/MixedCase', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{}')).status).toBe(200);
    expect((await p.get('/api/v1/noscript/events/custom/no%20script', p.browser(ip, { referer: `${SITE}/` }))).status).toBe(200);
    expect((await p.stored()).map((e) => e.name)).toEqual([null, 'foo%20bar', 'a%2Fb', '%zz', 'Sign-Up', 'MixedCase', 'no%20script']);
  });

  it('treats a trailing slash as another path: 404 after the chain, nothing stored', async () => {
    const p = prismeApp();
    const ip = randomIp();
    let remaining = 60;
    for (const [method, path] of [['POST', '/api/v1/events/pageviews/'], ['POST', '/api/v1/events/custom/x/'], ['GET', '/api/v1/noscript/events/pageviews/'], ['GET', '/api/v1/noscript/events/outbound-links/']]) {
      const res = await p.request(path!, { method, headers: p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, referer: `${SITE}/` }) });
      expect(res.status).toBe(404);
      // Each took its token from the one bucket.
      expect([path, res.headers.get('x-ratelimit-remaining')]).toEqual([path, String(--remaining)]);
    }
    expect(await p.stored()).toEqual([]);
    // Hits not stored are counted by reason, these too.
    expect(p.deps.drops.get('invalid-input')).toBe(4);
  });

  it('runs the prefixes themselves through the chain (fiber mounts it on /api/v1/events/*, which takes /api/v1/events): preflight, limiter, origin, then 404', async () => {
    const p = prismeApp();
    const ip = randomIp();
    for (const path of ['/api/v1/events', '/API/V1/EVENTS', '/api/v1/noscript/events']) {
      const preflight = await p.request(path, { method: 'OPTIONS', headers: { origin: SITE, 'access-control-request-method': 'POST', 'x-forwarded-for': ip } });
      expect([path, preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([path, 204, '*']);
      const foreign = await p.request(path, { method: 'POST', headers: { origin: 'https://evil.example', 'x-forwarded-for': ip } });
      expect([path, foreign.status, foreign.headers.get('x-footfall-reason')]).toEqual([path, 400, 'origin not registered']);
      const ours = await p.request(path, { method: 'POST', headers: p.browser(ip) });
      expect([path, ours.status, ours.headers.get('server'), ours.headers.get('x-ratelimit-limit')]).toEqual([path, 404, 'prisme', '60']);
      expect(ours.headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Two limiter tokens a path: the preflights took none.
    expect((await p.request('/api/v1/events', { method: 'POST', headers: p.browser(ip) })).headers.get('x-ratelimit-remaining')).toBe('53');
    // A longer word is not the prefix: no route of Prisme's, Umami's 404.
    expect((await p.request('/api/v1/eventsx', { method: 'POST', headers: p.browser(ip) })).headers.get('server')).toBeNull();
    expect(await p.stored()).toEqual([]);
  });

  it('answers the healthcheck on every path that starts with its own (fiber app.Use matches a prefix)', async () => {
    const p = prismeApp();
    for (const path of ['/api/v1/healthcheckz', '/api/v1/healthcheck-x/y', '/API/V1/HEALTHCHECKS']) {
      const res = await p.request(path, { method: 'GET' });
      expect([path, res.status, res.headers.get('server'), await res.text()]).toEqual([path, 200, 'prisme', '']);
    }
  });

  it('answers 405 to a known path in another case with the wrong method, after the chain', async () => {
    const p = prismeApp();
    const res = await p.get('/API/V1/EVENTS/PAGEVIEWS', p.browser(randomIp()));
    expect(res.status).toBe(405);
    expect(res.headers.get('x-footfall-reason')).toBe('method not allowed');
    expect(p.deps.drops.get('invalid-input')).toBe(1);
  });

  it('says Server: prisme on every answer, the healthcheck included', async () => {
    const p = prismeApp();
    const ip = randomIp();
    for (const res of [
      await p.pageview(ip, `${SITE}/`),
      await p.pageview(ip, 'not a url'),
      await p.post('/api/v1/events/pageviews', { 'x-forwarded-for': ip }),
      await p.get('/api/v1/healthcheck'),
    ]) expect(res.headers.get('server')).toBe('prisme');
  });
});

describe('the request id', () => {
  it('is the trusted proxy’s X-Request-Id, on the events API and the healthcheck, or a new UUID', async () => {
    const p = prismeApp();
    const res = await p.pageview(randomIp(), `${SITE}/`, { 'x-request-id': 'req-1' });
    expect(res.headers.get('x-prisme-request-id')).toBe('req-1');
    expect((await p.get('/api/v1/healthcheck', { 'x-request-id': 'req-2' })).headers.get('x-prisme-request-id')).toBe('req-2');
    expect((await p.get('/api/v1/healthcheck', { 'x-request-id': '' })).headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('comes from the header --request-id-header (PRISME_PROXY_REQUEST_ID_HEADER) names', async () => {
    const p = prismeApp(['--request-id-header', 'X-Custom-Request-Id']);
    const res = await p.pageview(randomIp(), `${SITE}/`, { 'x-custom-request-id': 'my-custom-id', 'x-request-id': 'not-this' });
    expect(res.headers.get('x-prisme-request-id')).toBe('my-custom-id');
    expect((await p.get('/api/v1/healthcheck', { 'x-custom-request-id': 'hc' })).headers.get('x-prisme-request-id')).toBe('hc');
  });

  it('is never taken from the request without trust-proxy', async () => {
    const p = prismeApp(['--trust-proxy', 'false']);
    expect((await p.get('/api/v1/healthcheck', { 'x-request-id': 'spoofed' })).headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('noscript origins and statuses as upstream reads them', () => {
  it('takes the Referer as Origin when Origin is empty, and reads a protocol-relative Referer', async () => {
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.get('/api/v1/noscript/events/pageviews', { 'x-forwarded-for': ip, origin: '', referer: `${SITE}/e` })).status).toBe(200);
    expect((await p.get('/api/v1/noscript/events/pageviews', { 'x-forwarded-for': ip, referer: '//mywebsite.localhost/f' })).status).toBe(200);
    expect((await p.get('/api/v1/noscript/events/pageviews', { 'x-forwarded-for': ip, referer: 'nope' })).status).toBe(400);
    expect((await p.stored()).map((e) => e.path)).toEqual(['/e', '/f']);
  });

  it('reads X-Prisme-Status as Go’s ParseUint(s, 10, 16): leading zeros allowed, 65536 and signs refused', async () => {
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/a`, { 'x-prisme-status': '000404' })).status).toBe(200);
    for (const bad of ['65536', '+1', '-1', '1e3']) expect((await p.pageview(ip, `${SITE}/b`, { 'x-prisme-status': bad })).status).toBe(400);
    expect((await p.stored()).map((e) => e.status)).toEqual([404]);
  });

  it('keeps a noscript property named __proto__ as a property', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const res = await p.get(`/api/v1/noscript/events/custom/x?prop-__proto__=${encodeURIComponent('{"x":1}')}&prop-b=2`, p.browser(ip, { referer: `${SITE}/` }));
    expect(res.status).toBe(200);
    const custom = (await p.stored())[1]!;
    expect(JSON.stringify(custom.properties)).toBe('{"__proto__":{"x":1},"b":2}');
  });
});
