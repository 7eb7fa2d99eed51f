import { describe, expect, it } from 'bun:test';
import { startBinary } from '../helpers/binary.ts';

const ADMIN_PASSWORD = 'e2e admin password';
const GIF_B64 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

/** Logs in as the admin and returns the Authorization header to send. */
async function adminAuth(url: string): Promise<{ authorization: string }> {
  const login = await fetch(url + '/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

/** The NDJSON export at `path`, one object per line. */
async function exported(url: string, path: string, auth: { authorization: string }): Promise<Record<string, unknown>[]> {
  const text = (await (await fetch(url + path, { headers: auth })).text()).trimEnd();
  return text ? text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
}

describe('dist/footfall pixels (Umami, RudderStack)', () => {
  it('creates a pixel through the API, records a /p/:slug hit over real HTTP, and exports it', async () => {
    // Durable acks: the GIF leaves only after the hit is committed, so the export can follow at once.
    const ff = await startBinary(['--ack', 'durable'], { FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      const login = await fetch(ff.url + '/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const created = await fetch(ff.url + '/api/pixels', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Newsletter', slug: 'newsletter-nov' }) });
      expect(created.status).toBe(200);
      const px = (await created.json()) as { id: string; slug: string };

      const hit = await fetch(`${ff.url}/p/${px.slug}?utm_source=newsletter&utm_campaign=nov`, {
        headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', referer: 'https://mail.example.net/' },
      });
      expect(hit.status).toBe(200);
      expect(hit.headers.get('content-type')).toBe('image/gif');
      expect(hit.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
      expect(Buffer.from(await hit.arrayBuffer()).toString('base64')).toBe(GIF_B64);
      expect((await fetch(`${ff.url}/p/no-such-pixel`)).status).toBe(404);

      const exported = await fetch(`${ff.url}/api/pixels/${px.id}/export`, { headers: auth });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-disposition')).toContain(`footfall-pixel-${px.id}.ndjson`);
      const rows = (await exported.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        source: 'pixel', type: 'pixel', pixelId: px.id, path: '/p/newsletter-nov', utmSource: 'newsletter', utmCampaign: 'nov',
        referrerDomain: 'mail.example.net', browser: 'Safari', os: 'macOS',
      });
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });

  it('with --pixel-mail-proxies, stores a Gmail image proxy fetch (built on the writer thread) as an open', async () => {
    const ff = await startBinary(['--ack', 'durable', '--pixel-mail-proxies'], { FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      const auth = await adminAuth(ff.url);
      const px = (await (await fetch(ff.url + '/api/pixels', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Opens', slug: 'opens-dec' }) })).json()) as { id: string };
      const gmail = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
      expect((await fetch(`${ff.url}/p/opens-dec?utm_source=newsletter`, { headers: { 'user-agent': gmail } })).status).toBe(200);
      expect((await fetch(`${ff.url}/p/opens-dec`, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } })).status).toBe(200);
      const rows = await exported(ff.url, `/api/pixels/${px.id}/export`, auth);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ browser: 'GoogleImageProxy', utmSource: 'newsletter' });
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });

  it('builds pixel hits on its writer thread: a bot and a bad RudderStack hit are answered, counted and not stored, the rest exported as built', async () => {
    const ff = await startBinary(['--ack', 'durable', '--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      const auth = await adminAuth(ff.url);
      const px = (await (await fetch(ff.url + '/api/pixels', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Digest', slug: 'weekly-digest' }) })).json()) as { id: string };
      const site = (await (await fetch(ff.url + '/api/websites', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Shop', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };

      const bot = await fetch(`${ff.url}/p/weekly-digest`, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } });
      expect(Buffer.from(await bot.arrayBuffer()).toString('base64')).toBe(GIF_B64);
      // A browser prefetching the pixel's URL (a link to it on a dashboard): the GIF, nothing stored.
      const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
      const prefetch = await fetch(`${ff.url}/p/weekly-digest`, { headers: { 'user-agent': iphone, 'sec-purpose': 'prefetch' } });
      expect(Buffer.from(await prefetch.arrayBuffer()).toString('base64')).toBe(GIF_B64);
      const query = new URLSearchParams({ writeKey: site.writeKey, anonymousId: 'anon-1', event: 'Email Opened', 'context.userAgent': iphone, 'properties.plan': 'pro', 'context.page.url': 'https://shop.example/amp/1?utm_source=amp' });
      for (const q of [query.toString(), `writeKey=${site.writeKey}&anonymousId=anon-2&event=`]) {
        const res = await fetch(`${ff.url}/pixel/v1/track?${q}`, { headers: { 'x-forwarded-for': '8.8.8.8', 'user-agent': 'curl/8' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/gif');
      }
      // Up to 512 KiB of request line and headers, rudder-server's MaxHeaderBytes (Bun's own default is 16 KiB).
      const long = await fetch(`${ff.url}/pixel/v1/page?writeKey=${site.writeKey}&anonymousId=anon-long&properties.pad=${'x'.repeat(100_000)}`, { headers: { 'user-agent': iphone } });
      expect(long.status).toBe(200);
      expect((await fetch(`${ff.url}/pixel/v1/page?writeKey=${site.writeKey}&anonymousId=anon-over&p=${'x'.repeat(530_000)}`)).status).toBe(431);
      // chi routes the pixel for GET only: HEAD is 405 and stores nothing.
      expect((await fetch(`${ff.url}/pixel/v1/page?writeKey=${site.writeKey}&anonymousId=anon-head`, { method: 'HEAD' })).status).toBe(405);

      const metrics = (await (await fetch(ff.url + '/api/metrics', { headers: auth })).json()) as { drops: Record<string, number>; pixelUserAgentCache: { size: number } };
      expect(metrics.drops).toMatchObject({ bot: 1, 'empty-event': 1, prefetch: 1 });
      // Googlebot and the SDK's iPhone UA were parsed on the writer thread (the empty event never got that far).
      expect(metrics.pixelUserAgentCache.size).toBe(2);
      expect((await (await fetch(`${ff.url}/api/pixels/${px.id}/export`, { headers: auth })).text()).trim()).toBe('');
      const rows = await exported(ff.url, `/api/websites/${site.id}/export`, auth);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        source: 'rudder', type: 'track', name: 'Email Opened', anonymousId: 'anon-1', os: 'iOS', device: 'mobile', country: 'US',
        utmSource: 'amp', properties: { plan: 'pro' }, payload: { request_ip: '8.8.8.0', event: 'Email Opened' },
      });
      expect(rows[1]).toMatchObject({ type: 'page', anonymousId: 'anon-long', properties: { pad: 'x'.repeat(100_000) } });
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });
});
