import { describe, expect, it } from 'bun:test';
import { UMAMI_GIF } from '../../src/http/gifs.ts';
import { CHROME, GOOGLEBOT, pixelApp } from '../helpers/pixels.ts';

const NOT_FOUND = { error: { message: 'Not found', code: 'not-found', status: 404 } };

describe('GET /p/:slug', () => {
  it('answers the exact 43-byte Umami GIF with upstream’s headers', async () => {
    const { hit } = await pixelApp();
    const res = await hit('ownpixel1');
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes).toString('base64')).toBe('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==');
    expect(bytes).toEqual(UMAMI_GIF);
    expect(bytes.byteLength).toBe(43);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('content-length')).toBe('43');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('expires')).toBe('0');
  });

  it('stores the hostname without a leading www. (and without the port), as Umami does, and the URL as it was hit', async () => {
    const { app, stored, w } = await pixelApp();
    const res = await app.handle(new Request('http://www.mail.example.com:8080/p/ownpixel1', { headers: { 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.7' } }));
    expect(res.status).toBe(200);
    const [e] = await stored(w.ownPixelId);
    expect([e!.hostname, e!.url]).toEqual(['mail.example.com', 'http://www.mail.example.com:8080/p/ownpixel1']);
  });

  it('records a pixel event with the hit URL, its UTM fields, referrer, client and ids, shown by the export', async () => {
    const { hit, stored, w, clock } = await pixelApp();
    await hit('ownpixel1?utm_source=newsletter&utm_campaign=nov', { referer: 'https://mail.example.net/inbox/42' }, '81.2.69.160');
    const [e, ...rest] = await stored(w.ownPixelId);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      source: 'pixel', type: 'pixel', pixelId: w.ownPixelId, websiteId: null, timestamp: new Date(clock()).toISOString(),
      url: 'http://localhost/p/ownpixel1?utm_source=newsletter&utm_campaign=nov',
      hostname: 'localhost', path: '/p/ownpixel1', query: 'utm_source=newsletter&utm_campaign=nov',
      referrer: 'https://mail.example.net/inbox/42', referrerDomain: 'mail.example.net',
      utmSource: 'newsletter', utmCampaign: 'nov', utmMedium: null,
      browser: 'Chrome', os: 'Windows', device: 'desktop', country: 'GB',
    });
    expect(e!.visitorId).toMatch(/^pixel_[0-9a-f]{16}$/);
    expect(e!.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // No raw address anywhere in what is stored.
    expect(JSON.stringify(e)).not.toContain('81.2.69');
  });

  it('stores no referrer domain when there is no Referer (Umami), and the export can be CSV', async () => {
    const { hit, send, buffer, w } = await pixelApp();
    await hit('ownpixel1');
    await buffer.flush();
    const csv = (await (await send('GET', `/api/pixels/${w.ownPixelId}/export?format=csv`)).text()).split('\r\n');
    const row = Object.fromEntries(csv[0]!.split(',').map((k, i) => [k, csv[1]!.split(',')[i]]));
    expect(row).toMatchObject({ referrer: '', referrerDomain: '', path: '/p/ownpixel1', source: 'pixel' });
  });

  it('takes UTM fields and the referrer domain as Umami does: first value, no `ref`, host without port or www', async () => {
    const { hit, stored, w } = await pixelApp();
    await hit('ownpixel1?ref=newsletter&utm_medium=&utm_medium=email&utm_campaign=a&utm_campaign=b', { referer: 'https://www.example.com:8443/a?b=1' });
    await hit('ownpixel1', { referer: 'http://localhost:3000/x' });
    const [a, b] = await stored(w.ownPixelId);
    expect(a).toMatchObject({ utmSource: null, utmMedium: null, utmCampaign: 'a', referrer: 'https://www.example.com:8443/a?b=1', referrerDomain: 'example.com' });
    expect(b).toMatchObject({ referrer: 'http://localhost:3000/x', referrerDomain: null });
  });

  it('stores the hit\'s path decoded, as Umami does, and its URL as requested', async () => {
    const { hit, stored, w } = await pixelApp();
    expect((await hit('ownpixe%6C1?utm_source=a%20b')).status).toBe(200);
    const [row] = await stored(w.ownPixelId);
    expect(row).toMatchObject({ path: '/p/ownpixel1', url: 'http://localhost/p/ownpixe%6C1?utm_source=a%20b', utmSource: 'a b' });
  });

  it('keeps one visitor and session for a reader within the hour, a new session the next hour, and tells readers apart', async () => {
    const { hit, stored, w, clock } = await pixelApp();
    await hit('ownpixel1', {}, '198.51.100.1');
    clock.advance(20 * 60_000);
    await hit('ownpixel1', {}, '198.51.100.1');
    await hit('ownpixel1', {}, '198.51.100.2');
    clock.advance(60 * 60_000);
    await hit('ownpixel1', {}, '198.51.100.1');
    const [a, b, c, d] = await stored(w.ownPixelId);
    expect(b!.visitorId).toBe(a!.visitorId);
    expect(b!.sessionId).toBe(a!.sessionId);
    expect(c!.visitorId).not.toBe(a!.visitorId);
    expect(d!.visitorId).toBe(a!.visitorId);
    expect(d!.sessionId).not.toBe(a!.sessionId);
  });

  it('answers a Googlebot hit with the GIF and stores nothing, counting it', async () => {
    const { hit, stored, deps, w } = await pixelApp();
    const res = await hit('ownpixel1', { 'user-agent': GOOGLEBOT });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(UMAMI_GIF);
    expect(await stored(w.ownPixelId)).toEqual([]);
    expect(deps.drops.get('bot')).toBe(1);
  });

  it('answers a browser prefetching the pixel URL with the GIF and stores nothing, counting it; a prerendered page\'s image counts', async () => {
    const { hit, stored, deps, w } = await pixelApp();
    const prefetches: Record<string, string>[] = [{ 'sec-purpose': 'prefetch' }, { 'sec-purpose': 'prefetch;anonymous-client-ip' }, { purpose: 'prefetch' }, { 'x-moz': 'prefetch' }];
    for (const headers of prefetches) {
      const res = await hit('ownpixel1', headers);
      expect([JSON.stringify(headers), res.status, (await res.arrayBuffer()).byteLength]).toEqual([JSON.stringify(headers), 200, UMAMI_GIF.byteLength]);
    }
    expect(deps.drops.get('prefetch')).toBe(4);
    expect(await stored(w.ownPixelId)).toEqual([]);
    // A subresource of a prerendered page is fetched so too; the page may well be shown.
    await hit('ownpixel1', { 'sec-purpose': 'prefetch;prerender' });
    expect((await stored(w.ownPixelId)).length).toBe(1);
  });

  it('answers a hit sent by our Swagger UI\'s "Try it out" with the GIF and stores nothing, counting it', async () => {
    const { hit, stored, deps, w } = await pixelApp();
    const res = await hit('ownpixel1', { 'x-footfall-try-it-out': '1' });
    expect([res.status, res.headers.get('content-type'), (await res.arrayBuffer()).byteLength]).toEqual([200, 'image/gif', UMAMI_GIF.byteLength]);
    expect(deps.drops.get('docs-try-out')).toBe(1);
    expect(await stored(w.ownPixelId)).toEqual([]);
    // The same browser's hit from a page or a mail counts.
    await hit('ownpixel1');
    expect((await stored(w.ownPixelId)).length).toBe(1);
  });

  describe('mail image proxies', () => {
    const GMAIL = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
    const YAHOO = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';

    it('stores nothing for Gmail\'s image proxy by default: it is a bot, as in Umami', async () => {
      const { hit, stored, deps, w } = await pixelApp();
      expect((await hit('ownpixel1', { 'user-agent': GMAIL })).status).toBe(200);
      expect(await stored(w.ownPixelId)).toEqual([]);
      expect(deps.drops.get('bot')).toBe(1);
    });

    it('stores a Gmail or Yahoo proxy fetch as an open with --pixel-mail-proxies, and still no Googlebot', async () => {
      const { hit, stored, deps, w } = await pixelApp(['--pixel-mail-proxies']);
      await hit('ownpixel1?utm_source=newsletter', { 'user-agent': GMAIL }, '66.249.84.1');
      await hit('ownpixel1?utm_source=newsletter', { 'user-agent': YAHOO }, '98.136.1.1');
      await hit('ownpixel1', { 'user-agent': GOOGLEBOT });
      const rows = await stored(w.ownPixelId);
      expect(rows.map((e) => [e.browser, e.utmSource])).toEqual([['GoogleImageProxy', 'newsletter'], [null, 'newsletter']]);
      expect(deps.drops.get('bot')).toBe(1);
    });
  });

  it('answers other methods as Next.js does a route exporting only GET: 405 with Allow, OPTIONS 204, whether or not the slug exists', async () => {
    const { request, stored, w } = await pixelApp();
    for (const slug of ['ownpixel1', 'no-such-pixel']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await request(`/p/${slug}`, { method });
        expect([slug, method, res.status, res.headers.get('allow'), await res.text()]).toEqual([slug, method, 405, 'GET, HEAD', '']);
      }
      const options = await request(`/p/${slug}`, { method: 'OPTIONS', headers: { origin: 'https://mail.example', 'access-control-request-method': 'POST' } });
      expect([slug, options.status, options.headers.get('allow')]).toEqual([slug, 204, 'GET, HEAD, OPTIONS']);
    }
    expect(await stored(w.ownPixelId)).toEqual([]);
    // A path under /p/ that is no slug's stays a 404.
    expect((await request('/p/ownpixel1/extra', { method: 'POST' })).status).toBe(404);
  });

  it('sends /p/SLUG/ on to /p/SLUG with a 308, query kept, and stores no hit for it', async () => {
    const { hit, stored, w } = await pixelApp();
    const res = await hit('ownpixel1/?utm_source=newsletter&x=a/');
    expect([res.status, res.headers.get('location'), await res.text()]).toEqual([308, '/p/ownpixel1?utm_source=newsletter&x=a/', '']);
    expect(await stored(w.ownPixelId)).toEqual([]);
  });

  it('stores a hit whose URL or Referer is longer than 8 KiB, each cut to its first 8,192 characters, as Umami stores such hits cut', async () => {
    const { hit, stored, deps, w } = await pixelApp();
    const pad = 'a'.repeat(9_000);
    await hit(`ownpixel1?utm_source=long&pad=${pad}`, { referer: `https://mail.example/read?x=${pad}` });
    const [e] = await stored(w.ownPixelId);
    expect(e).toMatchObject({ utmSource: 'long', referrerDomain: 'mail.example' });
    expect(e!.url!.length).toBeLessThanOrEqual(8_192);
    expect(e!.referrer!.startsWith('https://mail.example/read?x=aaa')).toBe(true);
    expect(deps.drops.get('invalid-input')).toBe(0);
    // A cut that would end inside an escape drops the half escape.
    await hit(`ownpixel1?x=${'b'.repeat(8_192 - 'http://localhost/p/ownpixel1?x='.length - 1)}%41`);
    const cut = (await stored(w.ownPixelId))[1]!.url!;
    expect([cut.length, cut.endsWith('b')]).toEqual([8_191, true]);
  });

  it('stores a hit that came without a Host (its URL only a path), under the stand-in host', async () => {
    const { app, stored, w } = await pixelApp();
    const req = new Request('http://localhost/p/ownpixel1?utm_source=hostless', { headers: { 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.10' } });
    expect((await app.handle(Object.defineProperty(req, 'url', { value: '/p/ownpixel1?utm_source=hostless' }))).status).toBe(200);
    expect((await stored(w.ownPixelId)).map((e) => [e.path, e.utmSource, e.hostname])).toEqual([['/p/ownpixel1', 'hostless', 'localhost']]);
  });

  it('stores a Referer sent as UTF-8 as its text, and one that is not UTF-8 byte for byte', async () => {
    const { request, stored, w } = await pixelApp();
    const utf8 = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));
    for (const referer of [utf8('https://exemple.fr/café'), 'https://exemple.fr/caf\xe9']) {
      expect((await request('/p/ownpixel1', { headers: { referer, 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    }
    // Latin-1 é (0xE9), not UTF-8, is kept as the character that byte is.
    expect((await stored(w.ownPixelId)).map((e) => e.referrer)).toEqual(['https://exemple.fr/café', 'https://exemple.fr/café']);
  });

  it('stores a Referer whose host name is beyond ASCII with that host as its punycode, as WHATWG URL (Umami) reads it', async () => {
    const { request, stored, w } = await pixelApp();
    const utf8 = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));
    for (const referer of [utf8('https://www.münchen.de/straße?q=1'), 'https://xn--mnchen-3ya.de/']) {
      expect((await request('/p/ownpixel1', { headers: { referer, 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    }
    expect((await stored(w.ownPixelId)).map((e) => [e.referrer, e.referrerDomain])).toEqual([
      ['https://www.xn--mnchen-3ya.de/stra%C3%9Fe?q=1', 'xn--mnchen-3ya.de'],
      ['https://xn--mnchen-3ya.de/', 'xn--mnchen-3ya.de'],
    ]);
  });

  it("sends Umami's own headers (its Content-Security-Policy, DNS prefetching on) with every answer under /p/ and /api/, not Prisme's", async () => {
    const { hit, request, send } = await pixelApp();
    const CSP = "default-src 'self'; img-src 'self' https: data:; script-src 'self' 'unsafe-eval' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self' https:; frame-ancestors 'self' ;";
    const answers: [string, Response][] = [
      ['gif', await hit('ownpixel1')], ['unknown slug', await hit('no-such-pixel')], ['trailing slash', await hit('ownpixel1/')],
      ['POST', await request('/p/ownpixel1', { method: 'POST' })], ['OPTIONS', await request('/p/ownpixel1', { method: 'OPTIONS' })],
      ['no route', await request('/p/ownpixel1/extra')], ['api', await send('GET', '/api/pixels')], ['api 404', await request('/api/nothing-here')],
    ];
    for (const [what, res] of answers) expect([what, res.headers.get('content-security-policy'), res.headers.get('x-dns-prefetch-control')]).toEqual([what, CSP, 'on']);
    const prisme = await request('/api/v1/healthcheck');
    expect([prisme.headers.get('content-security-policy'), prisme.headers.get('x-dns-prefetch-control')]).toEqual([null, null]);
  });

  it('sends a path with repeated slashes on with a 308 to it cleaned, query kept, as Next.js does before any route: the hit comes with the next request', async () => {
    const { app, request, stored, w } = await pixelApp();
    const cases = [
      ['//p/ownpixel1?utm_source=news&x=a//b', '/p/ownpixel1?utm_source=news&x=a//b'],
      ['/p//ownpixel1', '/p/ownpixel1'],
      ['/p/ownpixel1//', '/p/ownpixel1/'],
      ['//api///pixels?page=1', '/api/pixels?page=1'],
    ];
    for (const [path, location] of cases) {
      const res = await request(path!);
      expect([path, res.status, res.headers.get('location'), res.headers.get('refresh'), await res.text()]).toEqual([path, 308, location, `0;url=${location}`, location]);
    }
    expect(await stored(w.ownPixelId)).toEqual([]);
    expect((await request('/p/ownpixel1?utm_source=news&x=a//b', { headers: { 'user-agent': CHROME } })).status).toBe(200);
    expect((await stored(w.ownPixelId)).map((e) => e.utmSource)).toEqual(['news']);
    // Without a Host Bun hands over the path alone, and `//:99999/p/SLUG` reaches the pixel route
    // (its `//:99999` read as a host): sent on as well, not a hit.
    const bare = await app.handle(Object.defineProperty(new Request('http://localhost/p/ownpixel1'), 'url', { value: '//:99999/p/ownpixel1?utm_source=x' }));
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/:99999/p/ownpixel1?utm_source=x']);
    expect((await stored(w.ownPixelId)).length).toBe(1);
    // Not Umami's once cleaned: the other families answer as they do.
    for (const path of ['//api/v1/events/pageviews', '//v1/track', '//favicon.ico']) expect([path, (await request(path)).status]).toEqual([path, 404]);
  });

  it('answers 404 JSON for an unknown slug', async () => {
    const { hit, deps } = await pixelApp();
    const res = await hit('no-such-pixel');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(NOT_FOUND);
    expect(deps.drops.get('unknown-pixel')).toBe(1);
  });

  it("404s a deleted pixel's slug at once, keeps its hits for an admin, and lets a new pixel take the slug", async () => {
    const { hit, send, stored, w } = await pixelApp();
    await hit('ownpixel1');
    expect((await send('DELETE', `/api/pixels/${w.ownPixelId}`)).status).toBe(200);
    expect((await hit('ownpixel1')).status).toBe(404);
    expect((await send('GET', `/api/pixels/${w.ownPixelId}/export`)).status).toBe(404); // the owner no longer sees it
    expect(await stored(w.ownPixelId)).toHaveLength(1); // the admin still exports it
    const again = await send('POST', '/api/pixels', { name: 'Reborn', slug: 'ownpixel1' });
    expect(again.status).toBe(200);
    const reborn = (await again.json()) as { id: string };
    expect((await hit('ownpixel1')).status).toBe(200);
    expect(await stored(reborn.id)).toHaveLength(1);
    expect(await stored(w.ownPixelId)).toHaveLength(1);
  });

  it('follows a slug rename at once (no stale cache)', async () => {
    const { hit, send, w } = await pixelApp();
    expect((await hit('ownpixel1')).status).toBe(200); // cached now
    await send('POST', `/api/pixels/${w.ownPixelId}`, { slug: 'renamed-1' });
    expect((await hit('ownpixel1')).status).toBe(404);
    expect((await hit('renamed-1')).status).toBe(200);
  });

  it('still answers the GIF when the write buffer is full, counting the drop', async () => {
    const { hit, deps } = await pixelApp(['--buffer-max', '1', '--flush-size', '1', '--flush-interval', '60s']);
    await hit('ownpixel1');
    const res = await hit('ownpixel1');
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(UMAMI_GIF);
    expect(deps.drops.get('buffer-full')).toBe(1);
  });

  it('is not rate limited by default: a mail proxy may fetch for many readers from one address', async () => {
    const { hit, stored, w } = await pixelApp(['--rate-limit', '3/60s']);
    for (let i = 0; i < 10; i++) expect((await hit('ownpixel1', { 'user-agent': `Reader ${i} Chrome/131.0` }, '66.249.88.1')).status).toBe(200);
    expect(await stored(w.ownPixelId)).toHaveLength(10);
  });

  it('with --rate-limit-pixels, answers 429 in Umami’s shape with Retry-After once the bucket is empty', async () => {
    const { hit, deps, clock } = await pixelApp(['--rate-limit', '3/60s', '--rate-limit-pixels']);
    for (let i = 0; i < 3; i++) expect((await hit('ownpixel1', {}, '66.249.88.1')).status).toBe(200);
    const res = await hit('ownpixel1', {}, '66.249.88.1');
    expect(res.status).toBe(429);
    // A token every 20 s (3 a minute), none left: 20 s.
    expect(res.headers.get('retry-after')).toBe('20');
    expect(await res.json()).toEqual({ error: { message: 'Too many requests', code: 'too-many-requests', status: 429 } });
    expect(deps.drops.get('rate-limited')).toBe(1);
    // Its own buckets: the Prisme limiter is untouched, and another address passes.
    expect((await hit('ownpixel1', {}, '66.249.88.2')).status).toBe(200);
    clock.advance(Number(res.headers.get('retry-after')) * 1000);
    expect((await hit('ownpixel1', {}, '66.249.88.1')).status).toBe(200);
  });
});
