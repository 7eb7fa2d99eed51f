import { describe, expect, it } from 'bun:test';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ipv4LoopbackRoutable } from '../../src/http/client-ip.ts';
import { startBinary } from '../helpers/binary.ts';

const PASSWORD = 'client ip e2e password';

/** This machine's first IPv4 address that is not loopback, to connect from (null when it has none). */
const otherLocalAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? null;

/** route_localnet, as the server reads it (client-ip.ts, at start and each second): on, other machines reach 127.0.0.0/8. */
const loopbackRoutable = ipv4LoopbackRoutable();

/** The track call, written to a socket connected to 127.0.0.1 from `from`: the server's peer is then `from`. */
function trackFrom(from: string, port: number, writeKey: string, forwarded: string): Promise<string> {
  const body = '{"anonymousId":"a1","event":"Hit"}';
  const head = `POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${btoa(`${writeKey}:`)}\r\nX-Forwarded-For: ${forwarded}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => socket.write(head));
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.slice(0, answer.indexOf('\r\n'))));
  });
}

/**
 * Starts dist/footfall, sends one RudderStack track call with `X-Forwarded-For: forwarded` from
 * the local address `from`, and returns the stored event's request_ip and country.
 */
async function storedClient(flags: string[], forwarded: string, from = '127.0.0.1'): Promise<{ requestIp: unknown; country: unknown }> {
  const ff = await startBinary(['--ack', 'durable', ...flags], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
  try {
    const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'IP', domain: 'shop.example' }) })).json()) as { id: string; writeKey: string };
    expect(await trackFrom(from, Number(new URL(ff.url).port), site.writeKey, forwarded)).toBe('HTTP/1.1 200 OK');
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

  // Needs an address of this machine other than loopback to connect from.
  it.skipIf(otherLocalAddress === null)(
    'listening on 127.0.0.1 believes the header of a local process connecting from another of its addresses, unless other machines can reach 127.0.0.0/8 (route_localnet)',
    async () => {
      const from = otherLocalAddress!;
      const stored = await storedClient(['--trust-proxy'], '81.2.69.142', from);
      if (loopbackRoutable) expect(stored.requestIp).toBe(from.replace(/\.\d+$/, '.0'));
      else expect(stored).toEqual({ requestIp: '81.2.69.0', country: 'GB' });
      // With part of the loopback range untrusted, that peer is the client whatever it sends.
      expect((await storedClient(['--trust-proxy', '--trusted-proxies', '127.0.0.1/32'], '81.2.69.142', from)).requestIp).toBe(from.replace(/\.\d+$/, '.0'));
    },
  );
});
