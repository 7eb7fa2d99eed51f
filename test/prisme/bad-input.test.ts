import { describe, expect, it } from 'bun:test';
import { rng } from '../../src/loadtest/ua-corpus.ts';
import { ORIGIN, SITE, prismeApp, randomIp } from '../helpers/prisme.ts';

const ROUTES: [string, string][] = [
  ['POST', '/api/v1/events/pageviews'],
  ['POST', '/api/v1/events/custom/signup'],
  ['POST', '/api/v1/events/file-downloads'],
  ['POST', '/api/v1/events/outbound-links'],
  ['GET', '/api/v1/noscript/events/pageviews'],
  ['GET', '/api/v1/noscript/events/custom/signup'],
  ['GET', '/api/v1/noscript/events/outbound-links'],
];
const HEADERS = ['origin', 'referer', 'x-prisme-referrer', 'x-prisme-document-referrer', 'x-prisme-visitor-id', 'x-prisme-status', 'user-agent', 'ping-from', 'ping-to', 'content-type', 'x-forwarded-for', 'sec-ch-ua', 'sec-ch-ua-platform', 'sec-ch-ua-model'];

describe('bad input on the Prisme API', () => {
  it('never answers 5xx to random, malformed, over-long or binary headers and bodies (2,000 seeded cases)', async () => {
    const p = prismeApp(['--events-timeout', '0ms', '--rate-limit', 'off']);
    const r = rng(42);
    const junk = (): string => {
      const kind = Math.floor(r() * 8);
      const len = [0, 1, 20, 200, 8200, 3, 50, 9000][kind]!;
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(kind === 5 ? 0x80 + Math.floor(r() * 0x7f) : 0x21 + Math.floor(r() * 0x5e));
      return [s, `${SITE}/${s}`, `//${s}`, 'http://', `${SITE}/?utm_source=%ZZ&ref=%`, 'PING', '{"a":1', '[1,2]'][Math.floor(r() * 8)]!;
    };
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const [method, path] = ROUTES[i % ROUTES.length]!;
      const headers = new Headers({ origin: ORIGIN, 'x-forwarded-for': randomIp() });
      for (const h of HEADERS) if (r() < 0.4) headers.set(h, junk().replace(/[\r\n\0]/g, ''));
      const query = r() < 0.5 ? `?${['referrer', 'url', 'status', 'document-referrer', 'prop-x', 'visitor-id'][Math.floor(r() * 6)]}=${encodeURIComponent(junk())}` : '';
      const body = method === 'POST' && r() < 0.7 ? (r() < 0.2 ? new Uint8Array(Array.from({ length: 64 }, () => Math.floor(r() * 256))) : junk()) : undefined;
      const res = await p.request(path + query, { method, headers, body });
      seen.add(res.status);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400 && res.status !== 429) expect(res.headers.get('x-footfall-reason')).toBeTruthy();
    }
    expect(seen.has(400)).toBe(true);
  });

  it('answers 400 to every required header missing', async () => {
    const p = prismeApp();
    for (const [method, path] of ROUTES) {
      const res = await p.request(path, { method, headers: { 'x-forwarded-for': randomIp() } });
      expect(res.status).toBe(400);
    }
  });

  it('answers 400 to each required header missing alone, with the Origin present', async () => {
    const p = prismeApp(['--rate-limit', 'off']);
    const page = { 'x-prisme-referrer': `${SITE}/docs` };
    const cases: [string, string, Record<string, string>, string | undefined, string][] = [
      ['POST', '/api/v1/events/pageviews', {}, undefined, 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['POST', '/api/v1/events/custom/signup', { 'content-type': 'application/json' }, '{}', 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['POST', '/api/v1/events/file-downloads', {}, `${SITE}/file.pdf`, 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['POST', '/api/v1/events/outbound-links', {}, 'https://elsewhere.example/', 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['POST', '/api/v1/events/outbound-links', { 'ping-to': 'https://elsewhere.example/' }, 'PING', 'invalid "Ping-From"'],
      ['POST', '/api/v1/events/outbound-links', { 'ping-from': `${SITE}/docs` }, 'PING', 'invalid "Ping-To"'],
      ['POST', '/api/v1/events/outbound-links', page, '', 'invalid target URL'],
      ['GET', '/api/v1/noscript/events/pageviews', {}, undefined, 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['GET', '/api/v1/noscript/events/custom/signup', {}, undefined, 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['GET', '/api/v1/noscript/events/outbound-links?url=https%3A%2F%2Felsewhere.example%2F', {}, undefined, 'invalid "Referer" or "X-Prisme-Referrer"'],
      ['GET', `/api/v1/noscript/events/outbound-links?referrer=${encodeURIComponent(`${SITE}/docs`)}`, {}, undefined, 'invalid target URL'],
    ];
    for (const [method, path, headers, body, reason] of cases) {
      const res = await p.request(path, { method, headers: { ...p.browser(randomIp()), ...headers }, body });
      expect([path, res.status, res.headers.get('x-footfall-reason')]).toEqual([path, 400, reason]);
    }
    // Noscript pages and custom events answer their GIF all the same.
    const gif = await p.get('/api/v1/noscript/events/pageviews', p.browser(randomIp()));
    expect([gif.status, gif.headers.get('content-type'), (await gif.arrayBuffer()).byteLength]).toEqual([400, 'image/gif', 35]);
    expect(await p.stored()).toEqual([]);
  });

  describe('text that is not UTF-8', () => {
    /** A header value as Bun hands raw bytes over: one character per byte. */
    const bytes = (text: string, ...tail: number[]) => String.fromCharCode(...new TextEncoder().encode(text), ...tail);
    const BAD = [0xff, 0xfe];

    it('answers 400 to a page, document referrer, visitor id or ping header that is not UTF-8, and stores nothing', async () => {
      const p = prismeApp(['--rate-limit', 'off']);
      const cases: [string, Record<string, string>, string | undefined][] = [
        ['/api/v1/events/pageviews', { 'x-prisme-referrer': bytes(`${SITE}/caf`, ...BAD) }, undefined],
        ['/api/v1/events/pageviews', { referer: bytes(`${SITE}/caf`, ...BAD) }, undefined],
        ['/api/v1/events/pageviews', { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-document-referrer': bytes('https://search.example/', ...BAD) }, undefined],
        ['/api/v1/events/pageviews', { 'x-prisme-referrer': `${SITE}/`, 'x-prisme-visitor-id': bytes('v', ...BAD) }, undefined],
        ['/api/v1/events/custom/signup', { 'x-prisme-referrer': bytes(`${SITE}/`, ...BAD), 'content-type': 'application/json' }, '{}'],
        ['/api/v1/events/file-downloads', { 'x-prisme-referrer': bytes(`${SITE}/`, ...BAD) }, `${SITE}/file.pdf`],
        ['/api/v1/events/outbound-links', { 'ping-from': bytes(`${SITE}/`, ...BAD), 'ping-to': 'https://elsewhere.example/' }, 'PING'],
        ['/api/v1/events/outbound-links', { 'ping-from': `${SITE}/`, 'ping-to': bytes('https://elsewhere.example/', ...BAD) }, 'PING'],
      ];
      for (const [path, headers, body] of cases) {
        const name = Object.keys(headers).find((k) => [...headers[k]!].some((c) => c.charCodeAt(0) > 0x7f))!;
        const res = await p.post(path, p.browser(randomIp(), headers), body);
        expect([path, name, res.status, res.headers.get('x-footfall-reason')]).toEqual([path, name, 400, `header ${name} is not UTF-8`]);
        expect(res.headers.get('x-prisme-request-id')).toBeTruthy();
      }
      expect(await p.stored()).toEqual([]);
    });

    it('answers 400 with the GIF to a noscript query whose escapes are not UTF-8, and stores nothing', async () => {
      const p = prismeApp(['--rate-limit', 'off']);
      for (const query of [`referrer=${encodeURIComponent(`${SITE}/q`)}%FF`, `referrer=${encodeURIComponent(`${SITE}/`)}&visitor-id=%FF`, `referrer=${encodeURIComponent(`${SITE}/`)}&document-referrer=https%3A%2F%2Fa.example%2F%C3`]) {
        const res = await p.get(`/api/v1/noscript/events/pageviews?${query}`, p.browser(randomIp()));
        expect([query, res.status, res.headers.get('x-footfall-reason'), res.headers.get('content-type'), (await res.arrayBuffer()).byteLength]).toEqual([query, 400, 'query is not UTF-8', 'image/gif', 35]);
      }
      const click = await p.get(`/api/v1/noscript/events/outbound-links?referrer=${encodeURIComponent(`${SITE}/`)}&url=https%3A%2F%2Fa.example%2F%FF`, p.browser(randomIp()));
      expect([click.status, click.headers.get('x-footfall-reason'), click.headers.get('location')]).toEqual([400, 'query is not UTF-8', null]);
      const custom = await p.get(`/api/v1/noscript/events/custom/signup?referrer=${encodeURIComponent(`${SITE}/`)}&prop-x=%22%FF%22`, p.browser(randomIp()));
      expect([custom.status, custom.headers.get('x-footfall-reason')]).toEqual([400, 'query is not UTF-8']);
      expect(await p.stored()).toEqual([]);
    });

    it('stores UTF-8 sent in the headers as the text it is, not as Latin-1', async () => {
      const p = prismeApp();
      const res = await p.pageview(randomIp(), bytes(`${SITE}/café`), { 'x-prisme-visitor-id': bytes('visiteur-é') });
      expect(res.status).toBe(200);
      const [e] = await p.stored();
      expect([e!.visitorId, e!.path]).toEqual(['visiteur-é', '/café']);
    });
  });

  it('answers 413 to a declared body over 4 MiB before anything else', async () => {
    const p = prismeApp();
    const big = 'x'.repeat(4 * 1024 * 1024 + 1);
    for (const path of ['/api/v1/events/pageviews', '/api/v1/events/custom/x', '/api/v1/events/file-downloads']) {
      const res = await p.post(path, p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/` }), big);
      expect(res.status).toBe(413);
    }
  });

  it('takes a body of exactly 4 MiB (fasthttp refuses only what passes its limit)', async () => {
    const p = prismeApp();
    const ip = randomIp();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    const body = 'https://mywebsite.localhost/' + 'x'.repeat(4 * 1024 * 1024 - 'https://mywebsite.localhost/'.length);
    expect(body.length).toBe(4 * 1024 * 1024);
    const res = await p.post('/api/v1/events/file-downloads', p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }), body);
    // Read whole and judged as a URL (too long for one), not refused for its size.
    expect([res.status, res.headers.get('x-footfall-reason')]).toEqual([400, 'target URL over 8192 characters']);
  });

  it('answers 404 to an unknown path under the events prefix, after the origin check', async () => {
    const p = prismeApp();
    expect((await p.post('/api/v1/events/nope', p.browser(randomIp()))).status).toBe(404);
    expect((await p.post('/api/v1/events/nope', { ...p.browser(randomIp()), origin: 'https://evil.example' })).status).toBe(400);
  });
});
