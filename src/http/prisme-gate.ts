/** @module The chain in front of every Prisme events route: CORS → limiter → origin (noscript: from Referer) — upstream's order. */
import type { Limiter } from '../limit/limiter.ts';
import type { OriginRegistry } from '../ingest/origin-registry.ts';
import type { DropCounter } from '../ingest/drop-reasons.ts';
import { uuidv4 } from '../lib/uuid.ts';

export interface GateDeps {
  limiter: Limiter | null;
  origins: OriginRegistry;
  drops: DropCounter;
  /** Take X-Request-Id from the proxy (trust-proxy on) instead of making one up. */
  trustProxy: boolean;
}

/** Browsers may read these on a cross-origin answer (the reason header is how an operator sees why). */
const EXPOSE = 'X-Footfall-Reason, X-Prisme-Request-Id, X-Ratelimit-Limit, X-Ratelimit-Remaining, X-Ratelimit-Reset, Retry-After';
export const NOSCRIPT_CACHE_CONTROL = 'no-store, no-cache, max-age=0, must-revalidate, proxy-revalidate';

export type GateResult = { pass: true; headers: Record<string, string>; origin: string | null } | { pass: false; response: Response };

/** An empty-bodied Prisme answer; 4xx carry X-Footfall-Reason (decisions.md). */
export function prismeAnswer(status: number, headers: Record<string, string>, reason?: string, body: string | Uint8Array | null = null): Response {
  return new Response(body, { status, headers: reason ? { ...headers, 'x-footfall-reason': reason } : headers });
}

/** Decimal text of small counts (remaining tokens, seconds to reset), made once instead of per answer. */
const SMALL_INTS = Array.from({ length: 1024 }, (_, i) => String(i));
const intText = (n: number): string => SMALL_INTS[n] ?? String(n);

export function runGate(d: GateDeps, request: Request, ip: string, noscript: boolean): GateResult {
  const h = request.headers;
  const headers: Record<string, string> = {
    'x-prisme-request-id': (d.trustProxy && h.get('x-request-id')) || uuidv4(),
  };
  let origin = h.get('origin');
  if (origin !== null) {
    headers['access-control-allow-origin'] = '*';
    headers['access-control-expose-headers'] = EXPOSE;
    // Preflight: answered before the limiter, so it costs the visitor no token.
    const asked = request.method === 'OPTIONS' ? h.get('access-control-request-method') : null;
    if (asked !== null) {
      headers['access-control-allow-methods'] = 'POST';
      const wanted = h.get('access-control-request-headers');
      if (wanted) headers['access-control-allow-headers'] = wanted;
      headers['access-control-max-age'] = '86400';
      return { pass: false, response: prismeAnswer(204, headers) };
    }
  }
  if (d.limiter) {
    const r = d.limiter.take(ip);
    if (!r.allowed) {
      d.drops.add('rate-limited');
      headers['retry-after'] = String(r.retryAfterS);
      headers['content-type'] = 'text/plain; charset=utf-8';
      return { pass: false, response: prismeAnswer(429, headers, 'rate limited', 'Too Many Requests') };
    }
    headers['x-ratelimit-limit'] = intText(d.limiter.capacity);
    headers['x-ratelimit-remaining'] = intText(r.remaining);
    headers['x-ratelimit-reset'] = intText(r.resetS);
  }
  if (noscript && origin === null) {
    // <img> GETs carry no Origin: the Referer's origin stands in (Prisme v0.20.0).
    const ref = h.get('referer');
    if (ref) {
      try {
        origin = new URL(ref).origin;
      } catch {
        d.drops.add('invalid-input');
        return { pass: false, response: prismeAnswer(400, headers, 'invalid Referer') };
      }
    }
  }
  if (!d.origins.allows(origin)) {
    d.drops.add('unknown-origin');
    return { pass: false, response: prismeAnswer(400, headers, 'origin not registered') };
  }
  if (noscript) headers['cache-control'] = NOSCRIPT_CACHE_CONTROL;
  return { pass: true, headers, origin };
}
