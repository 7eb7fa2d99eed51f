import { describe, expect, it } from 'bun:test';
import { acceptsGzip, buildPrismeScript, etagMatches } from '../../src/http/prisme-script.ts';
import { prismeApp } from '../helpers/prisme.ts';

describe("Prisme's tag script at /static/wa.js", () => {
  it('is served as cacheable JavaScript with a validator, a request id and the client hints the parser reads', async () => {
    const { get } = prismeApp();
    const res = await get('/static/wa.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-z]+"$/);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('accept-ch')).toBe('Sec-CH-UA, Sec-CH-UA-Platform, Sec-CH-UA-Platform-Version, Sec-CH-UA-Model, Sec-CH-UA-Mobile, Sec-CH-UA-Full-Version-List');
    expect(res.headers.get('content-encoding')).toBeNull();
    const js = await res.text();
    // Minified (no comments, no indentation) and still a script a browser can compile.
    expect(js).not.toContain('Loaded twice on one page');
    expect(js).not.toContain('\n  ');
    expect(() => new Function(js)).not.toThrow();
    expect(js).toContain('/api/v1/events');
    expect(js).toContain('prismeAnalytics.tracking.enable');
  });

  it('is served under its old name /static/m.js with the same bytes', async () => {
    const { get } = prismeApp();
    const [a, b] = await Promise.all([get('/static/wa.js'), get('/static/m.js')]);
    expect(await b.text()).toBe(await a.text());
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
  });

  it('is gzip-encoded for a client that accepts gzip, with its own ETag, and decodes to the same script', async () => {
    const { get } = prismeApp();
    const plain = await get('/static/wa.js');
    const zipped = await get('/static/wa.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('etag')).not.toBe(plain.headers.get('etag'));
    const bytes = new Uint8Array(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(1600);
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(await plain.text());
  });

  it('answers 304 with no body when If-None-Match names the current ETag, and the script when it names another', async () => {
    const { get } = prismeApp();
    const etag = (await get('/static/wa.js')).headers.get('etag')!;
    const cached = await get('/static/wa.js', { 'if-none-match': `"old", ${etag}` });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect(await cached.text()).toBe('');
    const stale = await get('/static/wa.js', { 'if-none-match': '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.text()).length).toBeGreaterThan(1000);
  });

  it('is not rate limited: a visitor past the events limit still gets the script', async () => {
    const { get, pageview } = prismeApp(['--rate-limit', '1/60s']);
    expect((await pageview('203.0.113.9', 'http://mywebsite.localhost/')).status).toBe(200);
    expect((await pageview('203.0.113.9', 'http://mywebsite.localhost/b')).status).toBe(429);
    expect((await get('/static/wa.js', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
  });

  it('is documented under the Prisme tag, and nothing else under /static answers', async () => {
    const { get, request } = prismeApp();
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, { get?: { tags?: string[]; summary?: string } }> };
    expect(doc.paths['/static/wa.js']?.get?.tags).toEqual(['Prisme']);
    expect(doc.paths['/static/m.js']?.get?.summary).toContain('old name');
    expect((await get('/static/other.js')).status).toBe(404);
  });

  it('answers another method 405 with Allow, and OPTIONS 204 with Allow, as HTTP says for a path that exists', async () => {
    const { request } = prismeApp();
    for (const path of ['/static/wa.js', '/static/m.js']) {
      const post = await request(path, { method: 'POST', body: 'x' });
      expect([path, post.status, post.headers.get('allow'), await post.text()]).toEqual([path, 405, 'GET, HEAD', '']);
      const options = await request(path, { method: 'OPTIONS' });
      expect([path, options.status, options.headers.get('allow')]).toEqual([path, 204, 'GET, HEAD, OPTIONS']);
    }
    expect((await request('/static/other.js', { method: 'POST' })).status).toBe(404);
  });
});

describe('the tag script helpers', () => {
  it('match an If-None-Match list, its weak form and *', () => {
    expect(etagMatches('"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
    expect(etagMatches(null, '"b"')).toBe(false);
  });

  it('read gzip out of Accept-Encoding unless its quality is zero', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('br, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip(null)).toBe(false);
  });

  it('build a different ETag for a different script', () => {
    expect(buildPrismeScript('var a = 1;').identity.etag).not.toBe(buildPrismeScript('var a = 2;').identity.etag);
  });
});
