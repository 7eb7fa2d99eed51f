/**
 * @module Umami's /api/* answer headers (its next.config): any origin may call the management API
 * with a bearer token (no cookies are involved), and answers are not cached. Prisme's /api/v1/*
 * has CORS rules of its own (prisme-gate.ts).
 *
 * They are added by the management routes' own hook and by the error mapper, not by a global
 * onRequest hook: any global request hook makes Elysia route every request itself instead of
 * through Bun's native router, ~1.5 µs more on every ingestion hit.
 */

export const UMAMI_API_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'GET, DELETE, POST, PUT',
  'access-control-max-age': '86400',
  'cache-control': 'no-cache',
};

/** Whether a request URL is under Umami's /api/ (and not Prisme's /api/v1/). */
export function isUmamiApiUrl(url: string): boolean {
  const at = url.indexOf('/', url.indexOf('//') + 2);
  return at >= 0 && url.startsWith('/api/', at) && !url.startsWith('/api/v1/', at);
}

/** The response, with Umami's headers when the request was for the management API. */
export function withUmamiApiHeaders(request: Request, response: Response): Response {
  if (isUmamiApiUrl(request.url)) for (const [k, v] of Object.entries(UMAMI_API_HEADERS)) response.headers.set(k, v);
  return response;
}

/**
 * The answer to a request no route took: under /api/ (not /api/v1/), a preflight gets 204 with
 * Umami's headers; anything else gets `notFound` (with them when under /api/). No route is
 * declared for the preflight: an OPTIONS route on /api/* would shadow Prisme's own /api/v1/events/*
 * preflights in Bun's router.
 */
export function unrouted(request: Request, notFound: () => Response): Response {
  if (request.method === 'OPTIONS' && isUmamiApiUrl(request.url)) return new Response(null, { status: 204, headers: UMAMI_API_HEADERS });
  return withUmamiApiHeaders(request, notFound());
}
