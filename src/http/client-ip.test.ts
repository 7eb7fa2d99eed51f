import { describe, expect, it } from 'bun:test';
import { cidrContains, ipBytes, LOOPBACK_AND_PRIVATE, normaliseIp, parseCidr } from '../lib/ip.ts';
import { clientIp, clientIpFromHeader, clientIpPolicy, configIpPolicy, ipv4LoopbackRoutable, loopbackListenerTrusted, peersTrusted, watchLoopbackReach } from './client-ip.ts';
import { requestClientIp } from './request-values.ts';

const trusting = clientIpPolicy(true, 'X-Forwarded-For', LOOPBACK_AND_PRIVATE);
const untrusting = clientIpPolicy(false, 'X-Forwarded-For', LOOPBACK_AND_PRIVATE);

describe('clientIp', () => {
  it('uses the TCP peer when the proxy is not trusted, whatever the header says', () => {
    expect(clientIp(untrusting, '203.0.113.9', '8.8.8.8')).toBe('203.0.113.9');
  });

  it('takes the TCP peer as the client when it is no trusted proxy, whatever header it sends', () => {
    expect(clientIp(trusting, '192.0.2.2', '81.2.69.142')).toBe('192.0.2.2');
    expect(clientIp(trusting, '2001:db8::9', '81.2.69.142')).toBe('2001:db8::9');
    expect(clientIp(trusting, '::ffff:192.0.2.2', '81.2.69.142')).toBe('192.0.2.2');
    expect(clientIp(trusting, '::ffff:10.0.0.7', '81.2.69.142')).toBe('81.2.69.142');
  });

  it('believes no header when the server knows no peer (a client that hung up at once): the peer is unknown, so no trusted proxy', () => {
    const request = new Request('http://x/', { headers: { 'x-forwarded-for': '81.2.69.142' } });
    const gone = { requestIP: () => null };
    expect(requestClientIp(trusting, gone, request)).toBe('');
    expect(requestClientIp(trusting, { requestIP: () => ({ address: '127.0.0.1' }) }, request)).toBe('81.2.69.142');
    expect(requestClientIp(trusting, { requestIP: () => ({ address: '192.0.2.2' }) }, request)).toBe('192.0.2.2');
    // In-process requests (no server at all) come from loopback.
    expect(requestClientIp(trusting, null, request)).toBe('81.2.69.142');
  });

  it('stops at an entry that is no address: nothing left of it was written by a proxy that knew the client', () => {
    expect(clientIp(trusting, '127.0.0.1', '81.2.69.142, unknown')).toBe('127.0.0.1');
    expect(clientIp(trusting, '127.0.0.1', '81.2.69.142, unknown, 10.0.0.3')).toBe('127.0.0.1');
    expect(clientIp(trusting, '127.0.0.1', '81.2.69.142, 256.1.1.1')).toBe('127.0.0.1');
    // Empty entries say nothing and are passed over.
    expect(clientIp(trusting, '127.0.0.1', '81.2.69.142, ,')).toBe('81.2.69.142');
  });

  it('takes the right-most address that is not a trusted proxy', () => {
    expect(clientIp(trusting, '127.0.0.1', '8.8.8.8')).toBe('8.8.8.8');
    expect(clientIp(trusting, '127.0.0.1', '1.1.1.1, 8.8.8.8, 10.0.0.2')).toBe('8.8.8.8');
    expect(clientIp(trusting, '127.0.0.1', '1.1.1.1,8.8.8.8')).toBe('8.8.8.8');
  });

  it('falls back to the peer when the header is missing or holds nothing valid', () => {
    expect(clientIp(trusting, '127.0.0.1', null)).toBe('127.0.0.1');
    expect(clientIp(trusting, '127.0.0.1', 'garbage, 10.1.1.1')).toBe('127.0.0.1');
  });

  it('understands IPv6, bracketed addresses, ports and IPv4-mapped peers', () => {
    expect(clientIp(trusting, '::ffff:127.0.0.1', '2001:db8::1')).toBe('2001:db8::1');
    expect(clientIp(trusting, '::1', '[2001:db8::2]:443')).toBe('2001:db8::2');
    expect(clientIp(trusting, '::1', '8.8.4.4:1234')).toBe('8.8.4.4');
    expect(clientIp(untrusting, '::ffff:192.0.2.1', null)).toBe('192.0.2.1');
  });

  it('reads the configured header name', () => {
    const custom = clientIpPolicy(true, 'X-Custom-Forwarded-For', ['127.0.0.0/8']);
    expect(custom.header).toBe('x-custom-forwarded-for');
    expect(clientIp(custom, '127.0.0.1', '192.168.1.5')).toBe('192.168.1.5');
  });
});

describe('a server listening on loopback behind a proxy on the same machine', () => {
  const trusted = (list: string[]) => list.map((c) => parseCidr(c)!);
  const local = { proxyHeader: 'X-Forwarded-For', trustedProxies: LOOPBACK_AND_PRIVATE, host: '127.0.0.1', trustProxy: true };
  const unreachable = { routable: false };

  it('takes every peer for a trusted proxy when it listens on a loopback address and the whole loopback range is trusted (127.0.0.0/8 while no other machine reaches it)', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::ffff:127.0.0.1']) expect(loopbackListenerTrusted(host, trusted(LOOPBACK_AND_PRIVATE))).toBe('unless-routable');
    for (const host of ['::1', '[::1]', '0:0:0:0:0:0:0:1']) expect(loopbackListenerTrusted(host, trusted(LOOPBACK_AND_PRIVATE))).toBe('always');
    expect(loopbackListenerTrusted('127.0.0.1', trusted(['::/0']))).toBe('unless-routable');
    expect(loopbackListenerTrusted('::1', trusted(['::/0']))).toBe('always');
    expect(loopbackListenerTrusted('127.0.0.1', trusted(['127.0.0.0/8']))).toBe('unless-routable');
  });

  it('asks for each peer on any other address, or when part of the loopback range is not trusted', () => {
    // Every interface, a LAN address (other machines reach it), a name: peers may be anyone.
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.2', 'localhost']) expect(loopbackListenerTrusted(host, trusted(LOOPBACK_AND_PRIVATE))).toBe('never');
    expect(loopbackListenerTrusted('127.0.0.1', trusted(['10.0.0.0/8']))).toBe('never');
    // A local process may connect from 127.0.0.2 as well; a range that holds 127.0.0.0 (or 127.0.0.1) but not all of 127/8 is not enough.
    for (const part of ['127.0.0.1/32', '127.0.0.0/32', '127.0.0.0/9', '127.0.0.0/24']) expect(loopbackListenerTrusted('127.0.0.1', trusted([part]))).toBe('never');
    expect(loopbackListenerTrusted('::1', trusted(['127.0.0.0/8']))).toBe('never');
    expect(loopbackListenerTrusted('127.0.0.1', trusted(['::1/128']))).toBe('never');
    expect(loopbackListenerTrusted('127.0.0.1', [])).toBe('never');
  });

  it('asks for each peer of a 127.0.0.1 listener while other machines may reach 127.0.0.0/8 (route_localnet, as kube-proxy sets it), from the moment they may; ::1 stays local', () => {
    const reach = { routable: false };
    const policy = configIpPolicy(local, reach);
    expect(peersTrusted(policy)).toBe(true);
    reach.routable = true;
    expect(peersTrusted(policy)).toBe(false);
    reach.routable = false;
    expect(peersTrusted(policy)).toBe(true);
    expect(peersTrusted(configIpPolicy({ ...local, host: '::1' }, { routable: true }))).toBe(true);
    // Unknown counts as reachable.
    expect(peersTrusted(configIpPolicy(local))).toBe(false);
  });

  it('reads route_localnet of every entry under /proc/sys/net/ipv4/conf; what cannot be read counts as on', () => {
    const conf = (values: Record<string, string>) =>
      ipv4LoopbackRoutable(
        (dir) => (expect(dir).toBe('/proc/sys/net/ipv4/conf'), Object.keys(values)),
        (file) => {
          const v = values[file.split('/')[6]!];
          if (v === undefined || !file.endsWith('/route_localnet')) throw new Error(`ENOENT ${file}`);
          return v;
        },
      );
    expect(conf({ all: '0\n', default: '0\n', lo: '0\n', eth0: '0\n' })).toBe(false);
    expect(conf({ all: '0\n', default: '0\n', lo: '0\n', eth0: '1\n' })).toBe(true);
    expect(conf({ all: '1\n', default: '0\n', eth0: '0\n' })).toBe(true);
    expect(conf({ all: '0\n', eth0: '2\n' })).toBe(true);
    expect(conf({ all: '0\n', gone: undefined as unknown as string })).toBe(true);
    expect(conf({})).toBe(true);
    expect(ipv4LoopbackRoutable(() => { throw new Error('EACCES'); })).toBe(true);
  });

  it('reads it again at each tick of its watch, until stopped', () => {
    let value = false;
    let tick = () => {};
    let stopped = false;
    const w = watchLoopbackReach(1000, () => value, (fn, ms) => ((tick = fn), expect(ms).toBe(1000), () => void (stopped = true)));
    expect(w.reach.routable).toBe(false);
    value = true;
    expect(w.reach.routable).toBe(false);
    tick();
    expect(w.reach.routable).toBe(true);
    value = false;
    tick();
    expect(w.reach.routable).toBe(false);
    w.stop();
    expect(stopped).toBe(true);
  });

  it('only with --trust-proxy', () => {
    expect(configIpPolicy(local, unreachable).loopbackShortcut).toBe('unless-routable');
    expect(configIpPolicy({ ...local, trustProxy: false }, unreachable).loopbackShortcut).toBe('never');
    expect(configIpPolicy({ ...local, host: '0.0.0.0' }, unreachable).loopbackShortcut).toBe('never');
  });

  it('does not ask the server for the peer when the header names the client, and asks when it names none', () => {
    const policy = configIpPolicy(local, unreachable);
    let asked = 0;
    const server = { requestIP: () => (asked++, { address: '127.0.0.5' }) };
    const withHeader = (xff: string | null) => new Request('http://x/', { headers: xff === null ? {} : { 'x-forwarded-for': xff } });
    expect(requestClientIp(policy, server, withHeader('81.2.69.142, 10.0.0.1'))).toBe('81.2.69.142');
    expect(requestClientIp(policy, server, withHeader('2001:db8::7'))).toBe('2001:db8::7');
    expect(asked).toBe(0);
    // No header, only proxies in it, or an entry that is no address: the peer is the client.
    expect(requestClientIp(policy, server, withHeader(null))).toBe('127.0.0.5');
    expect(requestClientIp(policy, server, withHeader('10.0.0.1, 192.168.0.2'))).toBe('127.0.0.5');
    expect(requestClientIp(policy, server, withHeader('unknown'))).toBe('127.0.0.5');
    expect(asked).toBe(3);
  });

  it('on every interface, or reachable from other machines, asks for each peer, and a peer that is no trusted proxy is the client whatever its header says', () => {
    for (const policy of [configIpPolicy({ ...local, host: '0.0.0.0' }, unreachable), configIpPolicy(local, { routable: true })]) {
      let asked = 0;
      const request = new Request('http://x/', { headers: { 'x-forwarded-for': '81.2.69.142' } });
      expect(requestClientIp(policy, { requestIP: () => (asked++, { address: '203.0.113.9' }) }, request)).toBe('203.0.113.9');
      expect(requestClientIp(policy, { requestIP: () => (asked++, { address: '127.0.0.1' }) }, request)).toBe('81.2.69.142');
      expect(asked).toBe(2);
    }
  });
});

describe('clientIpFromHeader', () => {
  it('skips trusted IPv4 entries by their ranges, including ranges written as IPv4-mapped IPv6', () => {
    const p = clientIpPolicy(true, 'x-forwarded-for', ['10.0.0.0/8', '::ffff:203.0.113.0/120']);
    expect(clientIpFromHeader(p, '8.8.8.8, 203.0.113.7, 10.9.9.9')).toBe('8.8.8.8');
    expect(clientIpFromHeader(p, ' 9.9.9.9 ')).toBe('9.9.9.9');
    expect(clientIpFromHeader(p, '10.1.2.3')).toBeNull();
  });

  it('trusts every IPv4 address under an IPv6 range that covers ::ffff:0:0/96, and none under one that does not', () => {
    expect(clientIpFromHeader(clientIpPolicy(true, 'x', ['::/0']), '8.8.8.8')).toBeNull();
    expect(clientIpFromHeader(clientIpPolicy(true, 'x', ['2001:db8::/32']), '8.8.8.8')).toBe('8.8.8.8');
  });

  it('refuses dotted quads with leading zeros, parts over 255 or the wrong number of parts', () => {
    const p = clientIpPolicy(true, 'x', []);
    for (const bad of ['01.2.3.4', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.']) {
      expect(clientIpFromHeader(p, bad)).toBeNull();
    }
    expect(clientIpFromHeader(p, '0.0.0.0')).toBe('0.0.0.0');
    expect(clientIpFromHeader(p, '255.255.255.255')).toBe('255.255.255.255');
  });

  it('agrees with the general rule on 10,000 random headers', () => {
    const p = clientIpPolicy(true, 'x', LOOPBACK_AND_PRIVATE);
    const parts = ['8.8.8.8', '10.0.0.1', '192.168.1.1', '172.16.0.9', '1.2.3.4:80', '[2001:db8::1]:443', '2001:db8::5', '::1', 'garbage', '', ' 9.9.9.9 ', '256.1.1.1', '01.1.1.1', '127.0.0.1'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647) % n);
    for (let i = 0; i < 10_000; i++) {
      const header = Array.from({ length: 1 + rnd(4) }, () => parts[rnd(parts.length)]).join(',');
      // The general rule, entry by entry (what clientIp did before the fast path).
      let expected: string | null = null;
      for (const raw of header.split(',').reverse()) {
        if (raw.trim() === '') continue;
        const candidate = generalCandidate(raw);
        if (!candidate) break;
        if (!LOOPBACK_AND_PRIVATE.some((c) => inCidr(c, candidate))) {
          expected = candidate;
          break;
        }
      }
      expect([header, clientIpFromHeader(p, header)]).toEqual([header, expected]);
    }
  });
});

function generalCandidate(raw: string): string | null {
  let s = normaliseIp(raw);
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']'));
  else if (s.indexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':')) s = s.slice(0, s.indexOf(':'));
  return ipBytes(s) ? s : null;
}

function inCidr(cidr: string, ip: string): boolean {
  return cidrContains(parseCidr(cidr)!, ipBytes(ip)!);
}
