/** @module The client-address rule (decisions.md): TCP peer, or the right-most untrusted address of the proxy header. */
import { cidrContains, ipBytes, normaliseIp, parseCidr, type Cidr } from '../lib/ip.ts';

export interface ClientIpPolicy {
  trustProxy: boolean;
  /** Lower-case header name. */
  header: string;
  trusted: Cidr[];
}

export function clientIpPolicy(trustProxy: boolean, header: string, trustedProxies: readonly string[]): ClientIpPolicy {
  return {
    trustProxy,
    header: header.toLowerCase(),
    trusted: trustedProxies.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null),
  };
}

/**
 * Walks the header right to left (the right end is what our own proxy appended, the left end is
 * whatever the client claimed) and takes the first address that is not a trusted proxy. With no
 * valid candidate, the TCP peer: Prisme would return the raw header, which is spoofable and makes
 * header-less clients share one bucket.
 */
export function clientIp(policy: ClientIpPolicy, peer: string, headerValue: string | null): string {
  const p = normaliseIp(peer);
  if (!policy.trustProxy || !headerValue) return p;
  const parts = headerValue.split(',');
  for (let i = parts.length - 1; i >= 0; i--) {
    const candidate = stripPort(normaliseIp(parts[i]!));
    const bytes = ipBytes(candidate);
    if (!bytes) continue;
    if (policy.trusted.some((c) => cidrContains(c, bytes))) continue;
    return candidate;
  }
  return p;
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
