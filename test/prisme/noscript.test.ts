import { describe, expect, it } from 'bun:test';
import { PRISME_GIF } from '../../src/http/gifs.ts';
import { GOOGLEBOT, ORIGIN, SITE, prismeApp, randomIp } from '../helpers/prisme.ts';

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** An <img> request: no Origin, the page in Referer. */
const img = (ip: string, referer: string, more: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', referer, ...more });

describe('GET /api/v1/noscript/events/pageviews', () => {
  it('answers the exact 35-byte GIF with image/gif and the no-store Cache-Control', async () => {
    const p = prismeApp();
    const res = await p.get('/api/v1/noscript/events/pageviews', img('8.8.8.8', `${SITE}/`));
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PRISME_GIF);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toBe('no-store, no-cache, max-age=0, must-revalidate, proxy-revalidate');
    expect((await p.stored())[0]).toMatchObject({ type: 'pageview', path: '/', country: 'US' });
  });

  it('answers 405 to POST', async () => {
    const p = prismeApp();
    expect((await p.post('/api/v1/noscript/events/pageviews', img(randomIp(), `${SITE}/`))).status).toBe(405);
  });

  it('answers 400 with the GIF to an invalid document-referrer and to Googlebot; 400 without it to a bad origin or Referer', async () => {
    const p = prismeApp();
    const docRef = await p.get(`/api/v1/noscript/events/pageviews?${q({ 'document-referrer': 'not an url' })}`, img(randomIp(), `${SITE}/`));
    expect(docRef.status).toBe(400);
    expect(new Uint8Array(await docRef.arrayBuffer())).toEqual(PRISME_GIF);
    const bot = await p.get('/api/v1/noscript/events/pageviews', img(randomIp(), `${SITE}/`, { 'user-agent': GOOGLEBOT }));
    expect(bot.status).toBe(400);
    expect((await bot.arrayBuffer()).byteLength).toBe(35);
    const badOrigin = await p.get('/api/v1/noscript/events/pageviews', img(randomIp(), 'https://example.com/'));
    expect(badOrigin.status).toBe(400);
    expect(await badOrigin.text()).toBe('');
    const badReferer = await p.get('/api/v1/noscript/events/pageviews', img(randomIp(), 'not a url'));
    expect(badReferer.status).toBe(400);
    expect(await p.stored()).toEqual([]);
  });

  it('reads status, referrer, document-referrer and visitor-id from the query, which beat the headers', async () => {
    const p = prismeApp();
    const res = await p.get(
      `/api/v1/noscript/events/pageviews?${q({ status: '404', referrer: `${SITE}/from-query?utm_source=news&ref=x`, 'document-referrer': 'https://www.example.com/', 'visitor-id': 'v-1' })}`,
      img('8.8.8.8', `${SITE}/from-header`, { 'x-prisme-document-referrer': 'https://header.example/' }),
    );
    expect(res.status).toBe(200);
    const [e] = await p.stored();
    expect(e).toMatchObject({ path: '/from-query', status: 404, referrerDomain: 'www.example.com', visitorId: 'v-1', utmSource: 'news', country: 'US' });
  });

  it('continues a session across noscript pageviews', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    await p.get(`/api/v1/noscript/events/pageviews?${q({ 'document-referrer': `${SITE}/` })}`, img(ip, `${SITE}/a/./b/../c`));
    const [a, b] = await p.stored();
    expect(b!.sessionId).toBe(a!.sessionId);
    expect(b!.path).toBe('/a/c');
  });
});

describe('GET /api/v1/noscript/events/custom/:name', () => {
  it('stores prop-* JSON values with their types', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const props = { str: 'foo', n: 1, f: 2.5, yes: true, no: false, nil: null, obj: { a: 1 }, arr: [1, 'x'] };
    const params = Object.entries(props).map(([k, v]) => `prop-${k}=${encodeURIComponent(JSON.stringify(v))}`).join('&');
    const res = await p.get(`/api/v1/noscript/events/custom/signup?${params}&other=1&prop-=x`, img(ip, `${SITE}/`));
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(35);
    expect((await p.stored())[1]).toMatchObject({ type: 'custom', name: 'signup', properties: props });
  });

  it('answers 400 with the GIF to a property that is not JSON, and to a missing session', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const bad = await p.get(`/api/v1/noscript/events/custom/x?prop-str=foo%20and%20bar`, img(ip, `${SITE}/`));
    expect(bad.status).toBe(400);
    expect((await bad.arrayBuffer()).byteLength).toBe(35);
    expect((await p.get('/api/v1/noscript/events/custom/x', img(randomIp(), `${SITE}/`))).status).toBe(400);
    expect((await p.post('/api/v1/noscript/events/custom/x', img(ip, `${SITE}/`))).status).toBe(405);
    expect(await p.stored()).toHaveLength(1);
  });

  it('answers 400, never 500, to a property whose name no header can carry, naming it escaped', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    for (const [param, shown] of [['prop-%E2%82%AC=x', 'property \\u20ac is not a JSON value'], ['prop-a%0D%0Ab=x', 'property a\\u000d\\u000ab is not a JSON value']] as const) {
      const res = await p.get(`/api/v1/noscript/events/custom/x?${param}`, img(ip, `${SITE}/`));
      expect([param, res.status, res.headers.get('x-footfall-reason')]).toEqual([param, 400, shown]);
    }
  });

  it('cuts a reason that quotes a long name to 200 characters before escaping it', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const res = await p.get(`/api/v1/noscript/events/custom/x?prop-${'%E2%82%AC'.repeat(1000)}=x`, img(ip, `${SITE}/`));
    const reason = res.headers.get('x-footfall-reason')!;
    expect([res.status, reason.startsWith('property \\u20ac'), reason.endsWith('\\u20ac...')]).toEqual([400, true, true]);
    expect(reason.length).toBe('property '.length + 191 * 6 + 3);
  });

  it('reads the prop- values only once the session is found, as Prisme: without one the session is what is missing', async () => {
    const p = prismeApp();
    const res = await p.get('/api/v1/noscript/events/custom/x?prop-str=not%20json', img(randomIp(), `${SITE}/`));
    expect([res.status, res.headers.get('x-footfall-reason')]).toEqual([400, 'session not found']);
    expect(p.deps.drops.get('no-session')).toBe(1);
  });

  it('stores an event with no properties', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    expect((await p.get('/api/v1/noscript/events/custom/x', img(ip, `${SITE}/`))).status).toBe(200);
    expect((await p.stored())[1]!.properties).toEqual({});
  });
});

describe('GET /api/v1/noscript/events/outbound-links', () => {
  it('redirects 302 to the normalised URL and stores the click', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    const res = await p.get(`/api/v1/noscript/events/outbound-links?url=${encodeURIComponent('https://WWW.example.com/a/../page1')}`, img(ip, `${SITE}/`));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://www.example.com/page1');
    expect(await res.text()).toBe('');
    expect((await p.stored())[1]).toMatchObject({ type: 'outbound-link', target: 'https://www.example.com/page1', path: '/' });
  });

  it('redirects to a target with characters beyond ASCII percent-encoded, and stores the click once', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    for (const [target, location] of [
      ['https://x.example/€', 'https://x.example/%E2%82%AC'],
      ['https://x.example/café?q=ü', 'https://x.example/caf%C3%A9?q=%C3%BC'],
    ]) {
      const res = await p.get(`/api/v1/noscript/events/outbound-links?url=${encodeURIComponent(target!)}`, img(ip, `${SITE}/`));
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(location!);
      expect(res.headers.get('server')).toBe('prisme');
    }
    const clicks = (await p.stored()).filter((e) => e.type === 'outbound-link');
    expect(clicks.map((e) => e.target)).toEqual(['https://x.example/€', 'https://x.example/café?q=ü']);
  });

  it('redirects to a target whose query holds a + (a space once decoded), as fasthttp takes it, and stores a pageview whose referrer query holds one', async () => {
    const p = prismeApp();
    const ip = randomIp();
    const page = await p.get(`/api/v1/noscript/events/pageviews?referrer=${SITE}/p?a=b+c&document-referrer=https://www.google.com/search?q=foo+bar`, img(ip, `${SITE}/`));
    expect(page.status).toBe(200);
    const res = await p.get(`/api/v1/noscript/events/outbound-links?url=https://www.google.com/search?q=a+b&referrer=${SITE}/p?a=b+c`, img(ip, `${SITE}/`));
    expect([res.status, res.headers.get('location')]).toEqual([302, 'https://www.google.com/search?q=a%20b']);
    const [view, click] = await p.stored();
    expect(view).toMatchObject({ type: 'pageview', path: '/p', query: 'a=b c', referrer: 'https://www.google.com/search?q=foo bar', referrerDomain: 'www.google.com' });
    expect(click).toMatchObject({ type: 'outbound-link', target: 'https://www.google.com/search?q=a b' });
  });

  it('reads a space in a page path as the %20 a browser sends, so the JS tag\'s events join a session a noscript pageview opened', async () => {
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.get(`/api/v1/noscript/events/pageviews?referrer=${SITE}/my+page/`, img(ip, `${SITE}/`))).status).toBe(200);
    const custom = await p.post('/api/v1/events/custom/read', p.browser(ip, { 'x-prisme-referrer': `${SITE}/my%20page/`, 'content-type': 'application/json' }), '{}');
    expect(custom.status).toBe(200);
    expect((await p.stored()).map((e) => [e.type, e.path])).toEqual([['pageview', '/my%20page/'], ['custom', '/my%20page/']]);
  });

  it('finds the session on the site root for a deeper Referer or referrer query', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    expect((await p.get(`/api/v1/noscript/events/outbound-links?url=https://www.example.com/`, img(ip, `${SITE}/foo`))).status).toBe(302);
    expect((await p.get(`/api/v1/noscript/events/outbound-links?url=https://www.example.com/&referrer=${encodeURIComponent(`${SITE}/foo`)}`, { ...img(ip, `${SITE}/`), origin: ORIGIN })).status).toBe(302);
    const [, a, b] = await p.stored();
    expect([a!.path, b!.path]).toEqual(['/', '/']);
  });

  it('answers 400 without a body to a relative url, a missing session, an internal link; 405 to POST', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.get('/api/v1/noscript/events/pageviews', img(ip, `${SITE}/`));
    for (const url of ['/foo/bar', '', `${SITE}/internal`]) {
      const res = await p.get(`/api/v1/noscript/events/outbound-links?url=${encodeURIComponent(url)}`, img(ip, `${SITE}/`));
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('');
    }
    expect((await p.get('/api/v1/noscript/events/outbound-links?url=https://www.example.com/', img(randomIp(), `${SITE}/`))).status).toBe(400);
    expect((await p.post('/api/v1/noscript/events/outbound-links?url=https://www.example.com/', img(ip, `${SITE}/`))).status).toBe(405);
  });
});
