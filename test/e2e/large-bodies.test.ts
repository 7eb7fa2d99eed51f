import { describe, expect, it } from 'bun:test';
import { startBinary } from '../helpers/binary.ts';

/** A body past every API's limit and past the 5 MiB Bun was once told to refuse by itself. */
const SIX_MIB = 6 * 1024 * 1024;

describe('dist/footfall and bodies past every limit', () => {
  it("answers each API's own 413, with its headers, to a declared body of 6 MiB, and stays up", async () => {
    const ff = await startBinary(['--origins', 'shop.example'], { FOOTFALL_ADMIN_PASSWORD: 'large-bodies-password' });
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'large-bodies-password' }) });
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Shop', domain: 'shop.example' }) })).json()) as { writeKey: string };
      const big = JSON.stringify({ anonymousId: 'a', event: 'Big', properties: { pad: 'x'.repeat(SIX_MIB) } });

      const rudder = await fetch(`${ff.url}/v1/track`, { method: 'POST', headers: { authorization: `Basic ${btoa(`${site.writeKey}:`)}`, origin: 'https://app.example', 'content-type': 'application/json' }, body: big });
      expect(rudder.status).toBe(413);
      expect(await rudder.text()).toBe('request size exceeds max limit\n');
      expect(rudder.headers.get('access-control-allow-origin')).toBe('https://app.example');

      const prisme = await fetch(`${ff.url}/api/v1/events/custom/big`, { method: 'POST', headers: { origin: 'https://shop.example', 'x-prisme-referrer': 'https://shop.example/', 'content-type': 'application/json' }, body: big });
      expect(prisme.status).toBe(413);
      // fasthttp refuses the body before any middleware runs: Prisme's 413 carries no CORS headers.
      expect(prisme.headers.get('server')).toBe('prisme');

      const management = await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: big });
      expect(management.status).toBe(413);
      expect(((await management.json()) as { error: { code: string } }).error.code).toBe('payload-too-large');

      expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });
});
