/** @module RudderStack's response conventions: rs/cors headers and preflight as rudder-server sets them up, Go's plain-text http.Error. */

/** rs/cors as rudder-server configures it: any origin, echoed with credentials, all headers, Max-Age 900. */
export function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get('origin');
  const h: Record<string, string> = { vary: 'Origin' };
  if (origin) {
    h['access-control-allow-origin'] = origin;
    h['access-control-allow-credentials'] = 'true';
  }
  return h;
}

/** The 204 answer to a CORS preflight, or null when the request is not one. */
export function preflight(request: Request): Response | null {
  const origin = request.headers.get('origin');
  const method = request.headers.get('access-control-request-method');
  if (request.method !== 'OPTIONS' || !origin || !method) return null;
  const h: Record<string, string> = {
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': method.toUpperCase(),
    'access-control-max-age': '900',
  };
  const headers = request.headers.get('access-control-request-headers');
  if (headers) h['access-control-allow-headers'] = headers;
  return new Response(null, { status: 204, headers: h });
}

/** Go's http.Error: the message and a newline, as plain text. */
export function text(status: number, message: string, extra: Record<string, string> = {}): Response {
  return new Response(status === 200 ? message : message + '\n', {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...extra },
  });
}
