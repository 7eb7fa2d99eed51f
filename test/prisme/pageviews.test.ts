import { describe, expect, it } from 'bun:test';
import { GOOGLEBOT, ORIGIN, SITE, prismeApp, randomIp } from '../helpers/prisme.ts';
import { stuckDurableBuffer } from '../helpers/test-app.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /api/v1/events/pageviews', () => {
  it('answers 405 to GET, after the origin check', async () => {
    const p = prismeApp();
    const res = await p.get('/api/v1/events/pageviews', p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/` }));
    expect(res.status).toBe(405);
    const bad = await p.get('/api/v1/events/pageviews', { ...p.browser(randomIp()), origin: 'https://example.com' });
    expect(bad.status).toBe(400);
  });

  for (const [what, headers] of [
    ['an invalid X-Prisme-Referrer', { 'x-prisme-referrer': 'not an url' }],
    ['an invalid X-Prisme-Document-Referrer', { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-document-referrer': 'not an url' }],
    ['an invalid Referer', { referer: '/relative/path' }],
    ['no page URL at all', {}],
    ['an 8 KB page URL', { 'x-prisme-referrer': `${SITE}/${'a'.repeat(8200)}` }],
    ['a status that is not a number', { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-status': 'ok' }],
    ['a status above 65535', { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-status': '70000' }],
  ] as const) {
    it(`answers 400 with an empty body and a reason to ${what}`, async () => {
      const p = prismeApp();
      const res = await p.post('/api/v1/events/pageviews', p.browser(randomIp(), headers));
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('');
      expect(res.headers.get('x-footfall-reason')).toBeTruthy();
      expect(await p.stored()).toEqual([]);
    });
  }

  it('says when the page URL was refused for its length, not as invalid', async () => {
    const p = prismeApp();
    const long = await p.post('/api/v1/events/pageviews', p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/${'a'.repeat(8200)}` }));
    expect([long.status, long.headers.get('x-footfall-reason')]).toEqual([400, '"Referer" or "X-Prisme-Referrer" over 8192 characters']);
    const invalid = await p.post('/api/v1/events/pageviews', p.browser(randomIp(), { 'x-prisme-referrer': 'not an url' }));
    expect([invalid.status, invalid.headers.get('x-footfall-reason')]).toEqual([400, 'invalid "Referer" or "X-Prisme-Referrer"']);
    const from = await p.post('/api/v1/events/pageviews', p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-document-referrer': `https://a.example/${'a'.repeat(8200)}` }));
    expect([from.status, from.headers.get('x-footfall-reason')]).toEqual([400, 'document referrer over 8192 characters']);
  });

  it('answers 400 to an unregistered origin and to a missing one', async () => {
    const p = prismeApp();
    expect((await p.pageview(randomIp(), `${SITE}/`, { origin: 'https://example.com' })).status).toBe(400);
    const h = p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/` }) as Record<string, string>;
    delete h.origin;
    expect((await p.post('/api/v1/events/pageviews', h)).status).toBe(400);
    expect(p.deps.drops.get('unknown-origin')).toBe(2);
  });

  it('answers 400 to Googlebot starting a session and stores nothing', async () => {
    const p = prismeApp();
    const res = await p.pageview(randomIp(), `${SITE}/`, { 'user-agent': GOOGLEBOT });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-footfall-reason')).toBe('bot session filtered');
    expect(p.deps.drops.get('bot')).toBe(1);
    expect(await p.stored()).toEqual([]);
  });

  it('stores a pageview with session, visitor, client and country', async () => {
    const p = prismeApp();
    const res = await p.pageview('8.8.8.8', `${SITE}/?q=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const [e] = await p.stored();
    expect(e).toMatchObject({
      source: 'prisme', type: 'pageview', hostname: 'mywebsite.localhost', path: '/', query: 'q=1', status: 200,
      referrerDomain: 'direct', browser: 'Chrome', os: 'Windows', device: 'desktop', country: 'US',
    });
    expect(e!.sessionId).toMatch(UUID_V7);
    expect(e!.visitorId).toMatch(/^prisme_[0-9A-F]+$/);
  });

  it('starts a session whose referrer domain is its own host when the internal referrer has no session', async () => {
    const p = prismeApp();
    expect((await p.pageview(randomIp(), `${SITE}/foo`, { 'x-prisme-document-referrer': `${SITE}/bar` })).status).toBe(200);
    const [e] = await p.stored();
    expect(e!.referrerDomain).toBe('mywebsite.localhost');
  });

  it('stores the page status from X-Prisme-Status', async () => {
    const p = prismeApp();
    await p.pageview(randomIp(), `${SITE}/missing`, { 'x-prisme-status': '404' });
    expect((await p.stored())[0]!.status).toBe(404);
  });

  it('takes the page from Referer when X-Prisme-Referrer is absent, and prefers X-Prisme-Referrer when both are sent', async () => {
    const p = prismeApp();
    await p.post('/api/v1/events/pageviews', p.browser(randomIp(), { referer: `${SITE}/from-referer` }));
    await p.post('/api/v1/events/pageviews', p.browser(randomIp(), { referer: `${SITE}/from-referer`, 'x-prisme-referrer': `${SITE}/from-prisme` }));
    expect((await p.stored()).map((e) => e.path)).toEqual(['/from-referer', '/from-prisme']);
  });

  it('records a foreign document referrer by its host', async () => {
    const p = prismeApp();
    await p.pageview(randomIp(), `${SITE}/`, { 'x-prisme-document-referrer': 'https://www.example.com/some/page' });
    const [e] = await p.stored();
    expect(e!.referrerDomain).toBe('www.example.com');
    expect(e!.referrer).toBe('https://www.example.com/some/page');
  });

  it('accepts a registered Origin for a page on a subdomain', async () => {
    const p = prismeApp();
    expect((await p.pageview(randomIp(), 'http://foo.mywebsite.localhost/', { origin: ORIGIN })).status).toBe(200);
    expect((await p.stored())[0]!.hostname).toBe('foo.mywebsite.localhost');
  });

  it('normalises the page: no trailing slash becomes /, dirty paths are resolved', async () => {
    const p = prismeApp();
    await p.pageview(randomIp(), SITE);
    await p.pageview(randomIp(), `${SITE}///another/../another/./foo`);
    expect((await p.stored()).map((e) => e.path)).toEqual(['/', '/another/foo']);
  });

  it('keeps UTM parameters (utm_id ignored, + as space) and takes ref as the source', async () => {
    const p = prismeApp();
    await p.pageview(randomIp(), `${SITE}/?utm_source=news+letter&utm_medium=email&utm_campaign=black%20friday&utm_term=shoes&utm_content=top&utm_id=42`);
    await p.pageview(randomIp(), `${SITE}/?ref=producthunt`);
    const [a, b] = await p.stored();
    expect(a).toMatchObject({ utmSource: 'news letter', utmMedium: 'email', utmCampaign: 'black friday', utmTerm: 'shoes', utmContent: 'top' });
    expect(b!.utmSource).toBe('producthunt');
  });

  it('continues the session on consecutive pageviews', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    await p.pageview(ip, `${SITE}/foo`, { 'x-prisme-document-referrer': `${SITE}/` });
    const [a, b] = await p.stored();
    expect(b!.sessionId).toBe(a!.sessionId);
    expect(b!.visitorId).toBe(a!.visitorId);
    expect([a!.path, b!.path]).toEqual(['/', '/foo']);
  });

  it('stores a visitor id given in X-Prisme-Visitor-Id, an automatic one when it is empty, and replaces the session\'s on the next page', async () => {
    const p = prismeApp();
    await p.pageview(randomIp(), `${SITE}/`, { 'x-prisme-visitor-id': 'my-visitor' });
    await p.pageview(randomIp(), `${SITE}/`, { 'x-prisme-visitor-id': '' });
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    await p.pageview(ip, `${SITE}/next`, { 'x-prisme-document-referrer': `${SITE}/`, 'x-prisme-visitor-id': 'logged-in-42' });
    const [a, b, c, d] = await p.stored();
    expect(a!.visitorId).toBe('my-visitor');
    expect(b!.visitorId).toMatch(/^prisme_/);
    expect(c!.visitorId).toMatch(/^prisme_/);
    expect(d!.visitorId).toBe('logged-in-42');
    expect(d!.sessionId).toBe(c!.sessionId);
  });

  it('stores nothing for a reload of the landing page, but answers 200', async () => {
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    expect((await p.stored()).length).toBe(1);
    expect(p.deps.drops.get('duplicate-pageview')).toBe(1);
  });

  it('lets two tabs diverge into two sessions', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    await p.pageview(ip, `${SITE}/`); // second tab: a clone, nothing stored
    await p.pageview(ip, `${SITE}/a`, { 'x-prisme-document-referrer': `${SITE}/` });
    await p.pageview(ip, `${SITE}/b`, { 'x-prisme-document-referrer': `${SITE}/` });
    const [, a, b] = await p.stored();
    expect(a!.sessionId).not.toBe(b!.sessionId);
  });

  it('answers a CORS preflight with 204 before the limiter, to be kept by the browser for a day (Prisme: 5 s)', async () => {
    const p = prismeApp(['--rate-limit', '1/1m']);
    const ip = randomIp();
    for (let i = 0; i < 3; i++) {
      const res = await p.request('/api/v1/events/pageviews', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-prisme-referrer', 'x-forwarded-for': ip } });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-methods')).toBe('POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('x-prisme-referrer');
      expect(res.headers.get('access-control-max-age')).toBe('86400');
      expect(res.headers.get('vary')).toBe('Access-Control-Request-Method, Access-Control-Request-Headers, Origin');
    }
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
  });

  it('takes an OPTIONS with an Origin but no method asked (or an empty one) down the chain as fiber\'s cors does: no CORS headers, Vary: Origin, a token, then 405', async () => {
    const p = prismeApp(['--rate-limit', '2/1m']);
    const ip = randomIp();
    for (const [asked, remaining] of [[{}, '1'], [{ 'access-control-request-method': '' }, '0']] as [Record<string, string>, string][]) {
      const res = await p.request('/api/v1/events/pageviews', { method: 'OPTIONS', headers: { origin: ORIGIN, 'x-forwarded-for': ip, ...asked } });
      expect([res.status, res.headers.get('access-control-allow-origin'), res.headers.get('vary'), res.headers.get('x-ratelimit-remaining')]).toEqual([405, null, 'Origin', remaining]);
    }
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(429);
  });

  it('sends CORS and request-id headers and exposes the reason header', async () => {
    const p = prismeApp();
    const res = await p.pageview(randomIp(), 'nope');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Footfall-Reason');
    expect(res.headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  });

  it('takes the request id from X-Request-Id only when the proxy is trusted', async () => {
    const trusted = prismeApp();
    expect((await trusted.pageview(randomIp(), `${SITE}/`, { 'x-request-id': 'abc-123' })).headers.get('x-prisme-request-id')).toBe('abc-123');
    const untrusted = prismeApp(['--trust-proxy', 'false']);
    const id = (await untrusted.pageview(randomIp(), `${SITE}/`, { 'x-request-id': 'abc-123' })).headers.get('x-prisme-request-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]/);
  });

  it('answers 503 with Retry-After when the write buffer is full', async () => {
    const p = prismeApp(['--buffer-max', '1', '--flush-size', '1']);
    expect((await p.pageview(randomIp(), `${SITE}/`)).status).toBe(200);
    const res = await p.pageview(randomIp(), `${SITE}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(p.deps.drops.get('buffer-full')).toBe(1);
  });

  it('leaves the session where it was when a pageview is refused for a full buffer, so that the page’s custom events join it and the retry is stored, not taken for a reload', async () => {
    const p = prismeApp(['--buffer-max', '1', '--flush-size', '1']);
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/a`)).status).toBe(200);
    // The buffer holds /a: the move to /b is refused.
    expect((await p.pageview(ip, `${SITE}/b`, { 'x-prisme-document-referrer': `${SITE}/a` })).status).toBe(503);
    await p.buffer.flush();
    // The visitor is still on /a: an event there joins at once (no wait, no 400).
    const custom = await p.post('/api/v1/events/custom/signup', p.browser(ip, { 'x-prisme-referrer': `${SITE}/a` }));
    expect(custom.status).toBe(200);
    await p.buffer.flush();
    // The client's retry of /b is a move, stored, not a reload stored as nothing.
    expect((await p.pageview(ip, `${SITE}/b`, { 'x-prisme-document-referrer': `${SITE}/a` })).status).toBe(200);
    expect(p.deps.drops.get('duplicate-pageview')).toBe(0);
    const events = await p.stored();
    expect(events.map((e) => [e.type, e.path])).toEqual([['pageview', '/a'], ['custom', '/a'], ['pageview', '/b']]);
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
  });

  it('starts no session for a landing pageview refused for a full buffer: its retry opens the visit', async () => {
    const p = prismeApp(['--buffer-max', '1', '--flush-size', '1']);
    expect((await p.pageview(randomIp(), `${SITE}/`)).status).toBe(200);
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/landing?utm_source=news`)).status).toBe(503);
    await p.buffer.flush();
    expect((await p.pageview(ip, `${SITE}/landing?utm_source=news`)).status).toBe(200);
    const events = await p.stored();
    expect(events.map((e) => [e.path, e.utmSource])).toEqual([['/', null], ['/landing', 'news']]);
    expect(p.deps.drops.get('duplicate-pageview')).toBe(0);
  });

  it('answers 503 with Retry-After, and counts no drop, when in durable mode its event has not committed by the ack deadline (a full disk): the event stays queued', async () => {
    const stuck = stuckDurableBuffer();
    const p = prismeApp(['--ack', 'durable'], { buffer: stuck.buffer });
    const answer = p.pageview(randomIp(), `${SITE}/`);
    while (stuck.accepted() === 0) await Bun.sleep(0);
    stuck.late();
    const res = await answer;
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
    expect(res.headers.get('x-footfall-reason')).toStartWith('not stored in time (durable acks)');
    expect(p.deps.drops.get('buffer-full')).toBe(0);
    expect(stuck.buffer.size).toBe(1);
  });

  it('answers only once the event committed in durable mode', async () => {
    const p = prismeApp(['--ack', 'durable']);
    expect((await p.pageview(randomIp(), `${SITE}/`)).status).toBe(200);
    expect(await p.events.count()).toBe(1);
  });
});

describe('the origin registry fed by websites', () => {
  it('accepts a website domain created through the API at once, and forgets it when the website is deleted', async () => {
    const p = prismeApp();
    const origin = 'https://new-shop.example';
    const send = () => p.pageview(randomIp(), `${origin}/`, { origin });
    expect((await send()).status).toBe(400);
    const created = await p.request('/api/websites', { method: 'POST', headers: { authorization: p.adminAuth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'New shop', domain: 'new-shop.example' }) });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    expect((await send()).status).toBe(200);
    await p.buffer.flush();
    const exported = await p.request(`/api/websites/${id}/export`, { headers: { authorization: p.adminAuth } });
    expect((await exported.text()).trim().split('\n').map((l) => JSON.parse(l).websiteId)).toEqual([id]);
    expect((await p.request(`/api/websites/${id}`, { method: 'DELETE', headers: { authorization: p.adminAuth } })).status).toBe(200);
    expect((await send()).status).toBe(400);
  });
});
