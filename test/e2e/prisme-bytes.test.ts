import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { startBinary } from '../helpers/binary.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const SITE = 'http://mywebsite.localhost';

const utf8Bytes = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));
const pageview = (headers: Record<string, string>) =>
  `POST /api/v1/events/pageviews HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${SITE}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\r\nContent-Length: 0\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

describe('bytes over 0x7f in Prisme headers, over real HTTP to dist/footfall', () => {
  it('stores UTF-8 as its text and answers 400 to bytes that are not UTF-8, storing nothing for them', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off', '--ack', 'durable'], { FOOTFALL_ADMIN_PASSWORD: 'bytes e2e password' });
    const good = await rawRequest(ff.port, pageview({ 'X-Forwarded-For': '198.18.0.1', 'X-Prisme-Referrer': utf8Bytes(`${SITE}/café`), 'X-Prisme-Visitor-Id': utf8Bytes('visiteur-é') }));
    expect(good.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const bad = await rawRequest(ff.port, pageview({ 'X-Forwarded-For': '198.18.0.2', 'X-Prisme-Referrer': `${SITE}/caf\xff\xfe` }));
    expect(bad.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(bad.toLowerCase()).toContain('x-footfall-reason: header x-prisme-referrer is not utf-8');
    const noscript = await rawRequest(ff.port, `GET /api/v1/noscript/events/pageviews?referrer=${encodeURIComponent(`${SITE}/`)}&visitor-id=%FF HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${SITE}\r\nX-Forwarded-For: 198.18.0.3\r\n\r\n`);
    expect(noscript.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(noscript.toLowerCase()).toContain('content-type: image/gif');
    // No website has the domain --origins lists: start-up said so, and an admin reads its events apart.
    expect(ff.log()).toContain('--origins entry covered by no website');
    expect(ff.log()).toContain('mywebsite.localhost');
    const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'bytes e2e password' }) });
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const exported = (await (await fetch(`${ff.url}/api/events/unassigned/export`, { headers: auth })).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { path: string });
    expect(exported.map((e) => e.path)).toEqual(['/café']);
    expect(await ff.stop()).toBe(0);
    const db = new Database(join(ff.dataDir, 'footfall.db'), { readonly: true });
    const rows = db.query('SELECT path, visitor_id AS visitorId FROM events').all();
    db.close();
    expect(rows).toEqual([{ path: '/café', visitorId: 'visiteur-é' }]);
  });
});
