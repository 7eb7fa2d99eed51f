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

  it('answers 413 to a declared body over 4 MiB before anything else', async () => {
    const p = prismeApp();
    const big = 'x'.repeat(4 * 1024 * 1024 + 1);
    for (const path of ['/api/v1/events/pageviews', '/api/v1/events/custom/x', '/api/v1/events/file-downloads']) {
      const res = await p.post(path, p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/` }), big);
      expect(res.status).toBe(413);
    }
  });

  it('answers 404 to an unknown path under the events prefix, after the origin check', async () => {
    const p = prismeApp();
    expect((await p.post('/api/v1/events/nope', p.browser(randomIp()))).status).toBe(404);
    expect((await p.post('/api/v1/events/nope', { ...p.browser(randomIp()), origin: 'https://evil.example' })).status).toBe(400);
  });
});
