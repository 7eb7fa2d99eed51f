/** @module The client-address rule (decisions.md): TCP peer, or the right-most untrusted address of the proxy header. */
import { readdirSync, readFileSync } from 'node:fs';
import { cidrContains, ipBytes, ipv4Number, normaliseIp, parseCidr, type Cidr } from '../lib/ip.ts';

export interface ClientIpPolicy {
  trustProxy: boolean;
  /** Lower-case header name. */
  header: string;
  trusted: Cidr[];
  /** The trusted ranges an IPv4 address can fall in, as 32-bit (first, mask) pairs, for the fast path. */
  trustedV4: { first: number; mask: number }[];
  /**
   * The last TCP peer seen, normalised, and whether it is a trusted proxy: behind a proxy every
   * request comes from it, so the check is a string comparison (reading the peer is a system call:
   * see peersTrusted).
   */
  lastPeer: { raw: string; address: string; trusted: boolean };
  /**
   * When every TCP peer counts as a trusted proxy without being asked for (peersTrusted): the
   * server listens on a loopback address and the loopback range is trusted ('always' for ::1;
   * 'unless-routable' for 127.0.0.0/8, while `reach` says no other machine reaches it). Asking
   * costs a system call per request (Bun's requestIP is a getpeername).
   */
  loopbackShortcut: 'never' | 'always' | 'unless-routable';
  reach: LoopbackReach;
}

/**
 * Whether other machines may reach this one's 127.0.0.0/8 (ipv4LoopbackRoutable): the server
 * reads it at start and again each second (kube-proxy may turn route_localnet on after it).
 */
export interface LoopbackReach {
  routable: boolean;
}

/** Whether a request's peer may go unasked (loopbackListenerTrusted, and `reach` as it is now). */
export function peersTrusted(policy: ClientIpPolicy): boolean {
  return policy.loopbackShortcut === 'always' || (policy.loopbackShortcut === 'unless-routable' && !policy.reach.routable);
}

/**
 * `listenHost`: the address the server listens on (--host), which may spare asking each
 * request's peer (peersTrusted); without it, every peer is asked for. `reach`: whether other
 * machines may reach this one's 127.0.0.0/8, kept current by the server; unknown counts as yes.
 */
export function clientIpPolicy(trustProxy: boolean, header: string, trustedProxies: readonly string[], listenHost?: string, reach: LoopbackReach = { routable: true }): ClientIpPolicy {
  const trusted = trustedProxies.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
  const mapped = ipBytes('0.0.0.0')!;
  const trustedV4: ClientIpPolicy['trustedV4'] = [];
  for (const c of trusted) {
    if (c.bits < 96) {
      // Shorter than the ::ffff:0:0/96 prefix: it holds every IPv4 address or none.
      if (cidrContains(c, mapped)) trustedV4.push({ first: 0, mask: 0 });
      continue;
    }
    if (!cidrContains({ ...c, bits: 96 }, mapped)) continue;
    const n = c.bits - 96;
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    const first = (((c.bytes[12]! << 24) | (c.bytes[13]! << 16) | (c.bytes[14]! << 8) | c.bytes[15]!) & mask) >>> 0;
    trustedV4.push({ first, mask });
  }
  const loopbackShortcut = !trustProxy || listenHost === undefined ? 'never' : loopbackListenerTrusted(listenHost, trusted);
  return { trustProxy, header: header.toLowerCase(), trusted, trustedV4, lastPeer: { raw: '', address: '', trusted: false }, loopbackShortcut, reach };
}

/** The policy of a server run with these options (`reach` as clientIpPolicy takes it). */
export function configIpPolicy(
  c: { trustProxy: boolean; proxyHeader: string; trustedProxies: readonly string[]; host: string },
  reach?: LoopbackReach,
): ClientIpPolicy {
  return clientIpPolicy(c.trustProxy, c.proxyHeader, c.trustedProxies, c.host, reach);
}

const V4_LOOPBACK = parseCidr('127.0.0.0/8')!;
const V6_LOOPBACK = parseCidr('::1/128')!;

/**
 * Whether a server listening on `host` may take every peer for a trusted proxy without asking:
 * `host` is a loopback address, and the whole loopback range of its family is trusted. Such a
 * server is reached from this machine only, and a process here connects from a loopback address
 * unless it binds another local one first; as it may always connect from loopback, whose header
 * is believed, believing its header when it does not grants it nothing. For 127.0.0.0/8 only
 * 'unless-routable': with route_localnet on for an interface (kube-proxy sets it, to DNAT to
 * 127.0.0.1), a machine on that interface's network reaches a 127.0.0.1 listener with its own
 * address as the peer. ::1 has no such switch. (A server listening on every interface, the
 * default, asks for each peer.)
 */
export function loopbackListenerTrusted(host: string, trusted: readonly Cidr[]): 'never' | 'always' | 'unless-routable' {
  const bytes = ipBytes(normaliseIp(host));
  if (bytes === null) return 'never';
  const range = cidrContains(V4_LOOPBACK, bytes) ? V4_LOOPBACK : cidrContains(V6_LOOPBACK, bytes) ? V6_LOOPBACK : null;
  if (range === null || !trusted.some((c) => c.bits <= range.bits && cidrContains(c, range.bytes))) return 'never';
  return range === V4_LOOPBACK ? 'unless-routable' : 'always';
}

/**
 * A LoopbackReach read now and again every `everyMs` (`every` schedules; tests drive it), for a
 * server whose 127.0.0.1 listener skips asking for peers while no other machine reaches it.
 */
export function watchLoopbackReach(
  everyMs: number,
  read: () => boolean = () => ipv4LoopbackRoutable(),
  every: (tick: () => void, ms: number) => () => void = (tick, ms) => {
    const timer = setInterval(tick, ms);
    timer.unref?.();
    return () => clearInterval(timer);
  },
): { reach: LoopbackReach; stop: () => void } {
  const reach: LoopbackReach = { routable: read() };
  const stop = every(() => void (reach.routable = read()), everyMs);
  return { reach, stop };
}

/**
 * Whether another machine may reach this one's 127.0.0.0/8 (see loopbackListenerTrusted): some
 * entry of /proc/sys/net/ipv4/conf (all, default, each interface) has route_localnet on, or it
 * cannot be read (then it may be). The reads are passed in.
 */
export function ipv4LoopbackRoutable(
  list: (dir: string) => string[] = (d) => readdirSync(d),
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): boolean {
  const dir = '/proc/sys/net/ipv4/conf';
  try {
    const names = list(dir);
    if (names.length === 0) return true;
    return names.some((name) => read(`${dir}/${name}/route_localnet`).trim() !== '0');
  } catch {
    return true;
  }
}

function trustedV4(policy: ClientIpPolicy, v: number): boolean {
  for (const r of policy.trustedV4) if (((v & r.mask) >>> 0) === r.first) return true;
  return false;
}

/** Whether a (normalised) address is one of --trusted-proxies. */
function isTrustedProxy(policy: ClientIpPolicy, address: string): boolean {
  const v4 = ipv4Number(address, 0, address.length);
  if (v4 >= 0) return trustedV4(policy, v4);
  const bytes = ipBytes(address);
  return bytes !== null && policy.trusted.some((c) => cidrContains(c, bytes));
}

/**
 * The client address the proxy header names (the rule below), or null when it names none and the
 * TCP peer stands. The common case — plain IPv4 entries — allocates nothing but the result.
 * An entry that is no address (`unknown`, a typo) ends the walk: what stands left of it was
 * written by no proxy that could name the client, so nothing there can be trusted. Empty
 * entries (`a,,b`, a trailing comma) say nothing and are passed over.
 */
export function clientIpFromHeader(policy: ClientIpPolicy, headerValue: string): string | null {
  let end = headerValue.length;
  while (end > 0) {
    const comma = headerValue.lastIndexOf(',', end - 1);
    let from = comma + 1;
    let to = end;
    while (from < to && (headerValue.charCodeAt(from) === 32 || headerValue.charCodeAt(from) === 9)) from++;
    while (to > from && (headerValue.charCodeAt(to - 1) === 32 || headerValue.charCodeAt(to - 1) === 9)) to--;
    const v4 = ipv4Number(headerValue, from, to);
    if (v4 >= 0) {
      if (!trustedV4(policy, v4)) return from === 0 && to === headerValue.length ? headerValue : headerValue.slice(from, to);
    } else if (to > from) {
      // IPv6, a port, brackets, ::ffff: forms or garbage: the general rule for this entry.
      const candidate = stripPort(normaliseIp(headerValue.slice(from, to)));
      const bytes = ipBytes(candidate);
      if (bytes === null) return null;
      if (!policy.trusted.some((c) => cidrContains(c, bytes))) return candidate;
    }
    end = comma;
  }
  return null;
}

/**
 * Walks the chain right to left — the TCP peer, then the header's entries (the right end is what
 * our own proxy appended, the left end is whatever the client claimed) — and takes the first
 * address that is not a trusted proxy. So a peer that is no trusted proxy is the client, whatever
 * header it sends: with --trust-proxy on a server that clients can also reach directly (one
 * listening on every interface), a header from them would otherwise name any address they like
 * and dodge the limiter and the login throttle. With no valid candidate, the TCP peer: Prisme
 * would return the raw header, which is spoofable and makes header-less clients share one bucket.
 */
export function clientIp(policy: ClientIpPolicy, peer: string, headerValue: string | null): string {
  let last = policy.lastPeer;
  if (peer !== last.raw) {
    const address = normaliseIp(peer);
    last = policy.lastPeer = { raw: peer, address, trusted: isTrustedProxy(policy, address) };
  }
  if (!policy.trustProxy || !headerValue || !last.trusted) return last.address;
  return clientIpFromHeader(policy, headerValue) ?? last.address;
}

/** "1.2.3.4:5678" → "1.2.3.4", "[::1]:80" → "::1"; a bare IPv6 address is left alone. */
function stripPort(s: string): string {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end > 0 ? s.slice(1, end) : s;
  }
  const colon = s.indexOf(':');
  if (colon > 0 && colon === s.lastIndexOf(':')) return s.slice(0, colon);
  return s;
}
