import { describe, expect, it } from 'bun:test';
import { startBinary } from '../helpers/binary.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const SITE = 'http://mywebsite.localhost';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0';
const head = (method: string, path: string, headers: Record<string, string>) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${SITE}\r\nUser-Agent: ${UA}\r\nX-Forwarded-For: 198.18.1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

describe('Prisme custom events over real HTTP to dist/footfall', () => {
  it('stores property numbers as they were sent, even those a double cannot hold, through the writer thread', async () => {
    const ff = await startBinary(['--origins', 'mywebsite.localhost', '--trust-proxy', '--rate-limit', 'off'], { FOOTFALL_ADMIN_PASSWORD: 'properties e2e password' });
    try {
      const page = { 'X-Prisme-Referrer': `${SITE}/shop` };
      expect((await rawRequest(ff.port, head('POST', '/api/v1/events/pageviews', { ...page, 'Content-Length': '0' }))).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      const body = '{"big":1e400,"id":12345678901234567890,"n":1.5,"s":"1e400"}';
      const custom = await fetch(`${ff.url}/api/v1/events/custom/order`, { method: 'POST', headers: { origin: SITE, 'user-agent': UA, 'x-forwarded-for': '198.18.1.1', ...page, 'content-type': 'application/json' }, body });
      expect(custom.status).toBe(200);
      const noscript = await fetch(`${ff.url}/api/v1/noscript/events/custom/img?referrer=${encodeURIComponent(`${SITE}/shop`)}&prop-big=1e400&prop-n=2`, { headers: { origin: SITE, 'user-agent': UA, 'x-forwarded-for': '198.18.1.1' } });
      expect(noscript.status).toBe(200);
      // A chunked body is a declared one, even empty: its content type is checked (upstream §3.6).
      const chunked = await rawRequest(ff.port, `${head('POST', '/api/v1/events/custom/chunked', { ...page, 'Transfer-Encoding': 'chunked' })}0\r\n\r\n`);
      expect(chunked.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(chunked.toLowerCase()).toContain('x-footfall-reason: content type must be application/json');

      expect(await ff.stop()).toBe(0);
      const again = await startBinary(['--origins', 'mywebsite.localhost'], { FOOTFALL_ADMIN_PASSWORD: 'properties e2e password' }, ff.dataDir);
      try {
        const login = await fetch(`${again.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'properties e2e password' }) });
        const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
        const lines = (await (await fetch(`${again.url}/api/events/unassigned/export`, { headers: auth })).text()).trimEnd().split('\n');
        expect(lines).toHaveLength(3);
        expect(lines[1]).toContain(`"name":"order"`);
        expect(lines[1]).toContain(`"properties":${body}`);
        expect(lines[2]).toContain(`"name":"img"`);
        expect(lines[2]).toContain('"properties":{"big":1e400,"n":2}');
        // CSV reads each event back from its row: the same texts, quoted as RFC 4180 wants.
        const csv = await (await fetch(`${again.url}/api/events/unassigned/export?format=csv`, { headers: auth })).text();
        expect(csv).toContain(`"${body.replaceAll('"', '""')}"`);
      } finally {
        await again.stop();
      }
    } finally {
      if (ff.proc.exitCode === null) await ff.stop();
    }
  });
});
