import { describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { ROOT, startBinary } from '../helpers/binary.ts';

const NODE = Bun.which('node');

describe('the official RudderStack Node SDK against dist/footfall', () => {
  it('delivers every call type through /v1/batch (gzip, Basic auth), and the export shows them', async () => {
    expect(NODE).not.toBeNull(); // Node.js is on every machine the README promises
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'sdk-test-password' });
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'sdk-test-password' }) });
      const { token } = (await login.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'SDK site', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };

      const run = Bun.spawnSync([NODE!, join(ROOT, 'test/fixtures/rudder-sdk-client.cjs')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', FOOTFALL_URL: ff.url, FOOTFALL_WRITE_KEY: site.writeKey },
        timeout: 30_000,
      });
      expect(run.stderr.toString()).toBe('');
      expect(JSON.parse(run.stdout.toString())).toEqual({ sent: 20 });

      // Stop to flush the buffer to disk, then read it back through the export of a restarted binary.
      expect(await ff.stop()).toBe(0);
      const again = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'sdk-test-password' }, ff.dataDir);
      try {
        const relogin = (await (await fetch(`${again.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'sdk-test-password' }) })).json()) as { token: string };
        const text = await (await fetch(`${again.url}/api/websites/${site.id}/export`, { headers: { authorization: `Bearer ${relogin.token}` } })).text();
        const events = text.trim().split('\n').map((l) => JSON.parse(l));
        expect(events.length).toBe(20);
        expect(events.slice(0, 6).map((e) => e.type)).toEqual(['identify', 'track', 'page', 'screen', 'group', 'alias']);
        const track = events[1];
        expect(track).toMatchObject({ source: 'rudder', name: 'Order Completed', anonymousId: 'sdk-anon-1', utmSource: 'newsletter', utmCampaign: 'nov', properties: { revenue: 42.5, items: 2 } });
        expect(track.payload.context.library.name).toBe('analytics-node');
        expect(track.payload.rudderId).toMatch(/^[0-9a-f-]{36}$/);
        expect(events[2]).toMatchObject({ name: 'Pricing', path: '/pricing', hostname: 'shop.example' });
      } finally {
        await again.stop();
      }
    } finally {
      if (ff.proc.exitCode === null) await ff.stop();
    }
  });
});
