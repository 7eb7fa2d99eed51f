/** @module RudderStack's response conventions: rs/cors headers and preflight as rudder-server sets them up, Go's plain-text http.Error, and every refusal of the HTTP API with its status and words. */
import type { DropCounter, DropReason } from '../ingest/drop-reasons.ts';

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

/**
 * Why the HTTP API (or the beacon) refuses a call: rudder-server's status and words for it, what
 * its messages count as not stored, and whether the client should try again (503, Retry-After).
 * A body over the limit counts nothing: its messages were never read.
 */
const REFUSALS = {
  'no-write-key-header': { status: 401, message: 'failed to read writekey from header', drop: 'unknown-write-key' },
  'no-write-key-query': { status: 401, message: 'failed to read writekey from query params', drop: 'unknown-write-key' },
  'invalid-write-key': { status: 401, message: 'invalid write key', drop: 'unknown-write-key' },
  'too-large': { status: 413, message: 'request size exceeds max limit', drop: null },
  busy: { status: 503, message: 'service unavailable: too many bodies being read', drop: 'bodies-busy', retry: true },
  'invalid-json': { status: 400, message: 'invalid json', drop: 'invalid-input' },
  'empty-batch': { status: 400, message: 'empty batch payload', drop: 'invalid-input' },
  'not-rudder-event': { status: 400, message: 'event is not a valid rudder event', drop: 'invalid-input' },
  'no-identity': { status: 400, message: 'request neither has anonymousId nor userId', drop: 'missing-identity' },
  'buffer-full': { status: 503, message: 'service unavailable: write buffer full', drop: 'buffer-full', retry: true },
  /** Durable acks whose batch did not commit in time: not acknowledged, and no drop (it stays queued). */
  late: { status: 503, message: 'service unavailable: not stored in time', drop: null, retry: true },
} as const satisfies Record<string, { status: number; message: string; drop: DropReason | null; retry?: true }>;

export type RudderRefusal = keyof typeof REFUSALS;

/** The answer to a refused call, its `count` messages counted as not stored for its reason. */
export function refusal(why: RudderRefusal, cors: Record<string, string>, drops: DropCounter, count = 1): Response {
  const r: { status: number; message: string; drop: DropReason | null; retry?: true } = REFUSALS[why];
  if (r.drop) drops.add(r.drop, count);
  return text(r.status, r.message, r.retry ? { ...cors, 'retry-after': '1' } : cors);
}
