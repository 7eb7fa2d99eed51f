/** @module The client-address rule (decisions.md): TCP peer, or the right-most untrusted address of the proxy header. */
import { cidrContains, ipBytes, ipv4Number, normaliseIp, parseCidr, type Cidr } from '../lib/ip.ts';

export interface ClientIpPolicy {
  trustProxy: boolean;
  /** Lower-case header name. */
  header: string;
  trusted: Cidr[];
  /** The trusted ranges an IPv4 address can fall in, as 32-bit (first, mask) pairs, for the fast path. */
  trustedV4: { first: number; mask: number }[];
}

export function clientIpPolicy(trustProxy: boolean, header: string, trustedProxies: readonly string[]): ClientIpPolicy {
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
  return { trustProxy, header: header.toLowerCase(), trusted, trustedV4 };
}

function trustedV4(policy: ClientIpPolicy, v: number): boolean {
  for (const r of policy.trustedV4) if (((v & r.mask) >>> 0) === r.first) return true;
  return false;
}

/**
 * The client address the proxy header names (the rule below), or null when it names none and the
 * TCP peer stands. The common case — plain IPv4 entries — allocates nothing but the result.
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
    } else {
      // IPv6, a port, brackets, ::ffff: forms or garbage: the general rule for this entry.
      const candidate = stripPort(normaliseIp(headerValue.slice(from, to)));
      const bytes = ipBytes(candidate);
      if (bytes && !policy.trusted.some((c) => cidrContains(c, bytes))) return candidate;
    }
    end = comma;
  }
  return null;
}

/**
 * Walks the header right to left (the right end is what our own proxy appended, the left end is
 * whatever the client claimed) and takes the first address that is not a trusted proxy. With no
 * valid candidate, the TCP peer: Prisme would return the raw header, which is spoofable and makes
 * header-less clients share one bucket.
 */
export function clientIp(policy: ClientIpPolicy, peer: string, headerValue: string | null): string {
  return (policy.trustProxy && headerValue && clientIpFromHeader(policy, headerValue)) || normaliseIp(peer);
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
