/** @module RudderStack's response conventions: rs/cors headers and preflight as rudder-server sets them up, Go's plain-text http.Error. */

/**
 * The methods rs/cors allows when none are configured (rudder-server configures none), compared
 * as sent; OPTIONS always passes. A request or preflight for another gets `Vary` alone.
 */
const CORS_METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS']);

/** rs/cors as rudder-server configures it: any origin, echoed with credentials, all headers, Max-Age 900. */
export function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get('origin');
  const h: Record<string, string> = { vary: 'Origin' };
  if (origin && CORS_METHODS.has(request.method)) {
    h['access-control-allow-origin'] = origin;
    h['access-control-allow-credentials'] = 'true';
  }
  return h;
}

/**
 * The 204 answer to a CORS preflight (OPTIONS with Access-Control-Request-Method), or null when
 * the request is not one. rs/cors answers every preflight itself: one without an Origin, or for
 * a method it does not allow, gets 204 with `Vary` alone, which the browser reads as a refusal.
 */
export function preflight(request: Request): Response | null {
  const method = request.headers.get('access-control-request-method');
  if (request.method !== 'OPTIONS' || !method) return null;
  const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  const origin = request.headers.get('origin');
  if (!origin || !CORS_METHODS.has(method)) return new Response(null, { status: 204, headers: { vary } });
  const h: Record<string, string> = {
    vary,
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': method,
    'access-control-max-age': '900',
  };
  const headers = request.headers.get('access-control-request-headers');
  if (headers) h['access-control-allow-headers'] = headers;
  return new Response(null, { status: 204, headers: h });
}

/**
 * Go's http.Error: the message and a newline, as plain text, nosniff. The 200 is a plain
 * w.Write: no newline, and the type Go sniffs from it, no nosniff.
 */
export function text(status: number, message: string, extra: Record<string, string> = {}): Response {
  if (status === 200) return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra } });
  return new Response(message + '\n', {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...extra },
  });
}
