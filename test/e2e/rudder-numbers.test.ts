import { describe, expect, it } from 'bun:test';
import { gzipSync } from 'node:zlib';
import { startBinary } from '../helpers/binary.ts';

describe('RudderStack messages over real HTTP to dist/footfall', () => {
  it('stores numbers a double cannot hold as they were sent, through the writer thread, and both exports give them back', async () => {
    const ff = await startBinary(['--ack', 'durable'], { FOOTFALL_ADMIN_PASSWORD: 'numbers e2e password' });
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'numbers e2e password' }) });
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Numbers', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };
      const props = '{"order_id":12345678901234567890,"total":27.50,"big":1e400}';
      // A Python or Java SDK sends 64-bit ids as bare numbers, gzipped in a batch.
      const body = `{"batch":[{"type":"track","userId":98765432109876543210,"event":"Order Completed","properties":${props}}]}`;
      const res = await fetch(`${ff.url}/v1/batch`, { method: 'POST', headers: { authorization: 'Basic ' + btoa(`${site.writeKey}:`), 'content-encoding': 'gzip', 'content-type': 'application/json' }, body: gzipSync(body) });
      expect([res.status, await res.text()]).toEqual([200, 'OK']);

      const [line, ...rest] = (await (await fetch(`${ff.url}/api/websites/${site.id}/export`, { headers: auth })).text()).trimEnd().split('\n');
      expect(rest).toEqual([]);
      expect(line).toContain('"userId":"98765432109876543210"');
      expect(line).toContain(`"properties":${props}`);
      expect(line).toContain(`"payload":{"type":"track","userId":98765432109876543210,"event":"Order Completed","properties":${props},`);
      const csv = await (await fetch(`${ff.url}/api/websites/${site.id}/export?format=csv`, { headers: auth })).text();
      expect(csv).toContain(`"${props.replaceAll('"', '""')}"`);
      expect(csv).toContain('""userId"":98765432109876543210,');
    } finally {
      await ff.stop();
    }
  });
});
