/**
 * @module Umami's /api/* answer headers (its next.config): any origin may call the management API
 * with a bearer token (no cookies are involved), and answers are not cached. Prisme's /api/v1/*
 * has CORS rules of its own (prisme-gate.ts).
 *
 * They are added by the management routes' own hook and by the error mapper, not by a global
 * onRequest hook: any global request hook makes Elysia route every request itself instead of
 * through Bun's native router, ~1.5 µs more on every ingestion hit.
 */
import { headerSafeUrl } from '../lib/header-safe-url.ts';
import { hasFragment, pathOf } from './request-values.ts';

/**
 * What Umami's next.config adds to every path of its own (`/:path*`), /p/SLUG and /api/* alike:
 * its Content-Security-Policy (with no ALLOWED_FRAME_URLS) and DNS prefetching on.
 */
export const UMAMI_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'x-dns-prefetch-control': 'on',
  'content-security-policy':
    "default-src 'self'; img-src 'self' https: data:; script-src 'self' 'unsafe-eval' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self' https:; frame-ancestors 'self' ;",
};

export const UMAMI_API_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'GET, DELETE, POST, PUT',
  'access-control-max-age': '86400',
  'cache-control': 'no-cache',
  ...UMAMI_PAGE_HEADERS,
};

/** The response, with Umami's page headers (UMAMI_PAGE_HEADERS) set on it. */
export function withUmamiPageHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(UMAMI_PAGE_HEADERS)) response.headers.set(k, v);
  return response;
}

/**
 * Next.js (Umami) answers a path holding `//` with a 308 to that path with each run of slashes
 * made one, before any route runs (its base server's normalizeRepeatedSlashes): Location and
 * `Refresh: 0;url=` name it, the body is its text, the query goes along as sent. A template that
 * writes `{{base}}/p/SLUG` with a base ending in `/` asks for `//p/SLUG`. Only paths that are
 * Umami's once cleaned (/p/…, /api/… but Prisme's /api/v1/…) are sent on, or any when
 * `anyPath` (a request an Umami route took); null for any other.
 */
export function repeatedSlashRedirect(url: string, anyPath = false): Response | null {
  const path = pathOf(url);
  if (!path.includes('//') || hasFragment(url)) return null;
  const clean = path.replace(/\/\/+/g, '/');
  if (!anyPath && !clean.startsWith('/p/') && !isUmamiApiPath(clean)) return null;
  const q = url.indexOf('?');
  const location = headerSafeUrl(q >= 0 && q < url.length - 1 ? `${clean}${url.slice(q)}` : clean);
  return new Response(new TextEncoder().encode(location), { status: 308, headers: { location, refresh: `0;url=${location}` } });
}

/** Whether a request URL is under Umami's /api/ (and not Prisme's /api/v1/). */
export function isUmamiApiUrl(url: string): boolean {
  return isUmamiApiPath(pathOf(url));
}

function isUmamiApiPath(path: string): boolean {
  return path.startsWith('/api/') && !path.startsWith('/api/v1/');
}

/** The response, with Umami's headers when the request was for the management API. */
export function withUmamiApiHeaders(request: Request, response: Response): Response {
  return isUmamiApiUrl(request.url) ? withApiHeaders(response) : response;
}

function withApiHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(UMAMI_API_HEADERS)) response.headers.set(k, v);
  return response;
}

/**
 * The answer to a request no route took: under /api/ (not /api/v1/), a preflight gets 204 with
 * Umami's headers; anything else gets `notFound` (with them when under /api/). No route is
 * declared for the preflight: an OPTIONS route on /api/* would shadow Prisme's own /api/v1/events/*
 * preflights in Bun's router. Elsewhere, the paths routes take for other methods (/p/SLUG, the
 * tag scripts under /static/; RudderStack's and Prisme's answer before this) answer as HTTP says:
 * 405 with Allow, and OPTIONS 204 with Allow. Only those are looked up in the route table: any
 * other path (a scanner's, a favicon) is 404 without it.
 */
export function unrouted(request: Request, notFound: () => Response, allowed: (path: string) => string[] = () => []): Response {
  const path = pathOf(request.url);
  if (!isUmamiApiPath(path)) {
    if (hasFragment(request.url) || !(path.startsWith('/p/') || path.startsWith('/static/'))) return notFound();
    const answer = otherMethod(request.method, allowed(path), notFound);
    // /p/ is Umami's (the tag scripts under /static/ are Prisme's).
    return path.startsWith('/p/') ? withUmamiPageHeaders(answer) : answer;
  }
  const methods = hasFragment(request.url) ? [] : allowed(path);
  if (request.method === 'OPTIONS') return preflight(methods);
  if (methods.length) return methodNotAllowed(methods, UMAMI_API_HEADERS);
  return withApiHeaders(notFound());
}

/**
 * A preflight: 204 with Umami's headers and, for a route, `Allow` as Next.js writes it for a
 * route with GET (its methods, HEAD and OPTIONS, sorted). Next.js answers a POST-only route's
 * OPTIONS 405, which fails a browser's preflight: those get the 204 too, without `Allow`.
 */
function preflight(methods: string[]): Response {
  if (!methods.includes('GET')) return new Response(null, { status: 204, headers: UMAMI_API_HEADERS });
  return new Response(null, { status: 204, headers: { ...UMAMI_API_HEADERS, allow: [...methods, 'OPTIONS'].sort().join(', ') } });
}

/**
 * A method a static management route does not take, where a route with a parameter in its place
 * (`/api/teams/:teamId` beside `/api/teams/join`) would otherwise take it: 405 with Allow and
 * Umami's headers, as Next.js answers. (A preflight never gets here: unrouted() answers it.)
 */
export function staticRouteOtherMethod(methods: string[]): Response {
  return methodNotAllowed(methods, UMAMI_API_HEADERS);
}

/** A route that exists for other methods: Next.js answers 405, empty, with Allow. */
function methodNotAllowed(methods: string[], headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(null, { status: 405, headers: { ...headers, allow: methods.join(', ') } });
}

/**
 * Outside /api/: `notFound` where no route takes the path; else OPTIONS 204 and any other method
 * 405, both with Allow. /p/SLUG exports only GET, so Next.js answers so itself, before the route
 * looks up the slug (next.config's /api headers do not apply there); the tag scripts too.
 */
function otherMethod(method: string, methods: string[], notFound: () => Response): Response {
  if (!methods.length) return notFound();
  if (method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow: [...methods, 'OPTIONS'].sort().join(', ') } });
  return methodNotAllowed(methods);
}

/**
 * Path → the methods routes declare for it, from the app's route list (`:param` matches one
 * segment, `*` the rest). Routes for any method (Elysia's ALL) are left out: they answer every
 * method; so are hidden ones (the 405s a static route declares for its parameter twin's methods).
 */
export function routeMethods(routes: readonly { method: string; path: string; hooks?: { detail?: { hide?: boolean } } }[]): (path: string) => string[] {
  const table = routes
    .filter((r) => r.method !== 'ALL' && r.hooks?.detail?.hide !== true)
    .map((r) => {
      const segments = r.path.split('/');
      return {
        method: r.method,
        // How generic the pattern is: a router takes `/api/teams/join` over `/api/teams/:teamId`.
        params: segments.filter((seg) => seg.startsWith(':') || seg === '*').length,
        re: new RegExp('^' + segments.map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$'),
      };
    });
  return (path) => {
    const matching = table.filter((r) => r.re.test(path));
    const fewest = Math.min(...matching.map((r) => r.params));
    const methods = new Set<string>();
    for (const r of matching) if (r.params === fewest) methods.add(r.method);
    // Next.js answers HEAD wherever GET is.
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
