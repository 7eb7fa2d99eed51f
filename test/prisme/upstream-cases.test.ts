import { describe, expect, it } from 'bun:test';
import { ORIGIN, SITE, WINDOWS_CHROME, prismeApp, randomIp } from '../helpers/prisme.ts';

/** An <img> request: no Origin, the page in Referer. */
const img = (ip: string, referer: string, more: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, 'user-agent': WINDOWS_CHROME, referer, ...more });

// Cases of upstream.md §3.14 the other files do not cover. "Concurrent" means the event is sent
// before its pageview: the pageview is sent once the event waits for its session (untilWaiting).
describe('upstream §3.14: clicks', () => {
  for (const kind of ['file-downloads', 'outbound-links'] as const) {
    it(`${kind}: sent before its pageview, joins the session the pageview starts`, async () => {
      const p = prismeApp(['--events-timeout', '2s']);
      const ip = randomIp();
      const click = p.post(`/api/v1/events/${kind}`, p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }), 'https://anotherwebsite.localhost/file.pdf');
      await p.untilWaiting();
      const pageview = p.pageview(ip, `${SITE}/`);
      expect([(await click).status, (await pageview).status]).toEqual([200, 200]);
      const [pv, c] = await p.stored();
      expect(c).toMatchObject({ type: kind.slice(0, -1), sessionId: pv!.sessionId, target: 'https://anotherwebsite.localhost/file.pdf' });
    });

    it(`${kind}: takes the page from Referer, without a trailing slash, with the session's client`, async () => {
      const p = prismeApp();
      const ip = randomIp();
      await p.pageview(ip, SITE);
      expect((await p.post(`/api/v1/events/${kind}`, p.browser(ip, { referer: SITE }), 'https://anotherwebsite.localhost/')).status).toBe(200);
      const [, c] = await p.stored();
      expect(c).toMatchObject({ path: '/', browser: 'Chrome', os: 'Windows', target: 'https://anotherwebsite.localhost/' });
    });
  }
});

describe('upstream §3.14: noscript custom events', () => {
  it('answer 400 to an invalid Referer and to an unregistered Origin', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    expect((await p.get('/api/v1/noscript/events/custom/x', img(ip, 'not a url'))).status).toBe(400);
    expect((await p.get('/api/v1/noscript/events/custom/x', img(ip, `${SITE}/`, { origin: 'https://example.com' }))).status).toBe(400);
    expect(await p.stored()).toHaveLength(1);
  });

  it('sent before its pageview, joins the session, with the client of the session', async () => {
    const p = prismeApp(['--events-timeout', '2s']);
    const ip = randomIp();
    const custom = p.get('/api/v1/noscript/events/custom/signup?prop-plan=%22pro%22', img(ip, `${SITE}/`));
    await p.untilWaiting();
    const pageview = p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    expect([(await custom).status, (await pageview).status]).toEqual([200, 200]);
    const [pv, c] = await p.stored();
    expect(c).toMatchObject({ type: 'custom', name: 'signup', sessionId: pv!.sessionId, properties: { plan: 'pro' }, browser: 'Chrome', os: 'Windows' });
  });
});

describe('upstream §3.14: noscript outbound links', () => {
  it('answer 400 to an invalid Referer and to an unregistered Origin', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const url = `/api/v1/noscript/events/outbound-links?url=${encodeURIComponent('https://www.example.com/page1')}`;
    expect((await p.get(url, img(ip, 'not a url'))).status).toBe(400);
    expect((await p.get(url, img(ip, `${SITE}/`, { origin: 'https://example.com' }))).status).toBe(400);
    expect(await p.stored()).toHaveLength(1);
  });

  it('sent before its pageview, redirects and stores the click in the session', async () => {
    const p = prismeApp(['--events-timeout', '2s']);
    const ip = randomIp();
    const click = p.get(`/api/v1/noscript/events/outbound-links?url=${encodeURIComponent('https://www.example.com/page1')}`, img(ip, `${SITE}/`));
    await p.untilWaiting();
    const pageview = p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const res = await click;
    expect([res.status, (await pageview).status]).toEqual([302, 200]);
    expect(res.headers.get('location')).toBe('https://www.example.com/page1');
    const [pv, c] = await p.stored();
    expect(c).toMatchObject({ type: 'outbound-link', sessionId: pv!.sessionId });
  });
});

describe('upstream §3.14: noscript pageviews', () => {
  it('take `ref` alone as the UTM source', async () => {
    const p = prismeApp();
    const page = `${SITE}/?ref=producthunt`;
    expect((await p.get(`/api/v1/noscript/events/pageviews?referrer=${encodeURIComponent(page)}`, { ...img(randomIp(), `${SITE}/`), origin: ORIGIN })).status).toBe(200);
    expect((await p.stored())[0]).toMatchObject({ utmSource: 'producthunt', utmMedium: null, query: 'ref=producthunt' });
  });
});

describe('bounds Footfall adds', () => {
  it('refuses a visitor id over 256 characters with 400, as sessions hold it for a day', async () => {
    const p = prismeApp();
    const ip = randomIp();
    const long = await p.pageview(ip, `${SITE}/a`, { 'x-prisme-visitor-id': 'v'.repeat(257) });
    expect(long.status).toBe(400);
    expect(long.headers.get('x-footfall-reason')).toBe('visitor id over 256 characters');
    expect((await p.pageview(ip, `${SITE}/b`, { 'x-prisme-visitor-id': 'v'.repeat(256) })).status).toBe(200);
    expect((await p.get(`/api/v1/noscript/events/pageviews?visitor-id=${'w'.repeat(300)}`, img(randomIp(), `${SITE}/`))).status).toBe(400);
    expect((await p.stored()).map((e) => e.visitorId)).toEqual(['v'.repeat(256)]);
  });
});
