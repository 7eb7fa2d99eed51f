import { describe, expect, it } from 'bun:test';
import { startBinary } from '../helpers/binary.ts';

const PASSWORD = 'client ip e2e password';

/** Starts dist/footfall, sends one RudderStack track call with `X-Forwarded-For: forwarded`, and returns the stored event's request_ip and country. */
async function storedClient(flags: string[], forwarded: string): Promise<{ requestIp: unknown; country: unknown }> {
  const ff = await startBinary(['--ack', 'durable', ...flags], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
  try {
    const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'IP', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };
    const res = await fetch(`${ff.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + btoa(`${site.writeKey}:`), 'x-forwarded-for': forwarded },
      body: '{"anonymousId":"a1","event":"Hit"}',
    });
    expect(res.status).toBe(200);
    const e = JSON.parse(await (await fetch(`${ff.url}/api/websites/${site.id}/export`, { headers: auth })).text());
    return { requestIp: e.payload.request_ip, country: e.country };
  } finally {
    await ff.stop();
  }
}

describe('the client address of dist/footfall behind --trust-proxy', () => {
  it('reads the proxy header only from a peer that is a trusted proxy: a client reaching the port directly cannot name another address', async () => {
    // The test connects from 127.0.0.1, a trusted proxy by default: the header names the client.
    expect(await storedClient(['--trust-proxy'], '81.2.69.142')).toEqual({ requestIp: '81.2.69.0', country: 'GB' });
    // With only 10.0.0.0/8 trusted, 127.0.0.1 is the client itself, whatever it sends.
    expect(await storedClient(['--trust-proxy', '--trusted-proxies', '10.0.0.0/8'], '81.2.69.142')).toEqual({ requestIp: '127.0.0.0', country: null });
  });
});
