/** @module The chain in front of every Prisme events route: CORS → limiter → origin (noscript: from Referer) — upstream's order. */
import { limiterKey, type Limiter } from '../limit/limiter.ts';
import type { OriginRegistry } from '../ingest/origin-registry.ts';
import type { DropCounter } from '../ingest/drop-reasons.ts';
import { uuidv4 } from '../lib/uuid.ts';
import { parsePageUrl } from '../ingest/url.ts';

export interface GateDeps {
  limiter: Limiter | null;
  origins: OriginRegistry;
  drops: DropCounter;
  /** Lower-cased name of the header that carries the proxy's request id (trust-proxy on), or null to always make one up. */
  requestIdHeader: string | null;
}

/** Browsers may read these on a cross-origin answer (the reason header is how an operator sees why). */
const EXPOSE = 'X-Footfall-Reason, X-Prisme-Request-Id, X-Ratelimit-Limit, X-Ratelimit-Remaining, X-Ratelimit-Reset, Retry-After';
export const NOSCRIPT_CACHE_CONTROL = 'no-store, no-cache, max-age=0, must-revalidate, proxy-revalidate';

export type GateResult = { pass: true; headers: Headers; origin: string | null } | { pass: false; response: Response };

/**
 * An empty-bodied Prisme answer; 4xx carry X-Footfall-Reason (decisions.md). An empty one has no
 * Content-Type, as upstream's: fasthttp writes the header only for a non-empty body or one set
 * explicitly (its ResponseHeader.AppendBytes), so its `text/plain; charset=utf-8` default never
 * goes out on an empty error.
 */
export function prismeAnswer(status: number, headers: Headers, reason?: string, body: string | Uint8Array | null = null): Response {
  if (reason) headers.set('x-footfall-reason', reasonHeader(reason));
  return new Response(body, { status, headers });
}

/**
 * A reason as a header value: a reason may quote the request (a noscript property's name), and
 * a header takes neither control characters nor text beyond Latin-1 (Headers.set throws: a 500).
 * Those are written as \uXXXX escapes; a long reason is cut to REASON_MAX characters first.
 */
function reasonHeader(reason: string): string {
  // A quoted name may be as long as the URL: a header of kilobytes some proxies refuse (502).
  // Cut before escaping, so that no escape is cut in two.
  const cut = reason.length <= REASON_MAX ? reason : reason.slice(0, REASON_MAX) + '...';
  return /^[\x20-\x7e]*$/.test(cut) ? cut : cut.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The longest X-Footfall-Reason before escaping, in characters (an escape takes six). */
const REASON_MAX = 200;

/** Every Prisme answer says `Server: prisme`, as upstream's fiber app does; copied natively per answer. */
const BASE = new Headers({ server: 'prisme' });
/** …and, to a cross-origin request, the CORS pair. */
const CORS = new Headers({ server: 'prisme', 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSE });
/** …but to an OPTIONS with an Origin and no (or an empty) Access-Control-Request-Method, which fiber's cors leaves to the chain: Vary alone. */
const OPTIONS_NOT_CORS = new Headers({ server: 'prisme', vary: 'Origin' });
/** What fiber's cors varies a preflight's answer on. */
const PREFLIGHT_VARY = 'Access-Control-Request-Method, Access-Control-Request-Headers, Origin';

/** The request id to echo as X-Prisme-Request-Id: the proxy's (when trusted and not empty) or a new UUID v4. */
export function requestId(h: Headers, header: string | null): string {
  return (header !== null && h.get(header)) || uuidv4();
}

/** Decimal text of small counts (remaining tokens, seconds to reset), made once instead of per answer. */
const SMALL_INTS = Array.from({ length: 1024 }, (_, i) => String(i));
const intText = (n: number): string => SMALL_INTS[n] ?? String(n);

export function runGate(d: GateDeps, request: Request, ip: string, noscript: boolean): GateResult {
  const h = request.headers;
  // An empty Origin is no Origin (Go reads both as "").
  let origin = h.get('origin') || null;
  // A preflight (an empty method asked is none, as Go reads it) is answered before the limiter,
  // so it costs the visitor no token; an OPTIONS that is none goes down the chain without CORS.
  const asked = origin !== null && request.method === 'OPTIONS' ? h.get('access-control-request-method') || null : null;
  // One Headers per request, filled in place: every request gets exactly one answer.
  const headers = new Headers(origin === null ? BASE : asked === null && request.method === 'OPTIONS' ? OPTIONS_NOT_CORS : CORS);
  headers.set('x-prisme-request-id', requestId(h, d.requestIdHeader));
  if (origin !== null) {
    if (asked !== null) {
      headers.set('vary', PREFLIGHT_VARY);
      headers.set('access-control-allow-methods', 'POST');
      const wanted = h.get('access-control-request-headers');
      if (wanted) headers.set('access-control-allow-headers', wanted);
      headers.set('access-control-max-age', '86400');
      return { pass: false, response: prismeAnswer(204, headers) };
    }
  }
  if (d.limiter) {
    const r = d.limiter.take(limiterKey(ip));
    if (!r.allowed) {
      d.drops.add('rate-limited');
      headers.set('retry-after', String(r.retryAfterS));
      headers.set('content-type', 'text/plain; charset=utf-8');
      return { pass: false, response: prismeAnswer(429, headers, 'rate limited', 'Too Many Requests') };
    }
    headers.set('x-ratelimit-limit', intText(d.limiter.capacity));
    headers.set('x-ratelimit-remaining', intText(r.remaining));
    headers.set('x-ratelimit-reset', intText(r.resetS));
  }
  if (noscript && origin === null) {
    // <img> GETs carry no Origin: the Referer's origin stands in (Prisme v0.20.0).
    const ref = h.get('referer');
    if (ref) {
      // Read as every Prisme URL input is (url.ts): `//host/x` counts, as http.
      const u = parsePageUrl(ref);
      if (!u) {
        d.drops.add('invalid-input');
        return { pass: false, response: prismeAnswer(400, headers, 'invalid Referer') };
      }
      origin = `${u.scheme}://${u.host}`;
    }
  }
  if (!d.origins.allows(origin)) {
    d.drops.add('unknown-origin');
    return { pass: false, response: prismeAnswer(400, headers, 'origin not registered') };
  }
  if (noscript) headers.set('cache-control', NOSCRIPT_CACHE_CONTROL);
  return { pass: true, headers, origin };
}
