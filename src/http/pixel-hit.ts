/** @module GET /p/:slug (Umami's public pixel): slug → pixel, hit → write buffer, answer the exact 43-byte GIF with upstream's no-cache headers. */
import { Elysia } from 'elysia';
import type { Server } from 'bun';
import type { SubmitOutcome, WriteBuffer } from '../buffer/write-buffer.ts';
import type { DropCounter } from '../ingest/drop-reasons.ts';
import { deferPixelHit, type PixelHitDeps } from '../ingest/pixel-hit.ts';
import { clientHintsFrom } from '../ingest/user-agent.ts';
import type { Clock } from '../lib/clock.ts';
import { limiterKey, type Limiter } from '../limit/limiter.ts';
import type { ClientIpPolicy } from './client-ip.ts';
import { isDocsTryOut } from './docs-try-out.ts';
import { ApiError, ErrorBody, errorResponse } from './errors.ts';
import { UMAMI_GIF } from './gifs.ts';
import { repeatedSlashRedirect, UMAMI_PAGE_HEADERS, withUmamiPageHeaders } from './umami-api-headers.ts';
import { absoluteUrl, endsWithSlash, headerTextOrBytes, pathOf, requestClientIp } from './request-values.ts';

export interface PixelHitRouteDeps extends PixelHitDeps {
  /** Live pixels only, never stale (a rename or delete takes effect at once). */
  pixelForSlug(slug: string): string | null;
  clock: Clock;
  ipPolicy: ClientIpPolicy;
  buffer: WriteBuffer;
  drops: DropCounter;
  /** Off by default (null): mail image proxies fetch for many readers from a few addresses. `--rate-limit-pixels` turns it on. */
  limiter: Limiter | null;
  /** `--pixel-mail-proxies`: a mail image proxy's fetch is an open to store, not a bot's. */
  mailProxies: boolean;
}

/**
 * Umami's answer headers (src/app/(collect)/p/[slug]/route.ts), built once: a Response copies a
 * Headers object natively, ~2.5× cheaper than converting an object literal on every hit.
 */
const GIF_HEADERS = new Headers({
  'content-type': 'image/gif',
  'content-length': String(UMAMI_GIF.byteLength),
  'cache-control': 'no-cache, no-store, must-revalidate',
  pragma: 'no-cache',
  expires: '0',
  ...UMAMI_PAGE_HEADERS,
});

const gif = () => new Response(UMAMI_GIF, { status: 200, headers: GIF_HEADERS });

/** A `prefetch` token in a header's list (`Sec-Purpose: prefetch;anonymous-client-ip`), not a prerender's. */
const PREFETCH = /(?:^|[\s,;])prefetch(?:$|[\s,;])/i;

/**
 * A browser fetching the pixel's URL ahead of a click that may never come: a link to `/p/SLUG`
 * in a dashboard, a chat or a page with speculation rules (`Sec-Purpose: prefetch`; older
 * browsers `Purpose: prefetch` or `X-Moz: prefetch`). Umami counts those (umami#3814, #4051),
 * so a pixel's own admin page inflates its figures. An `<img>` is never fetched so; a
 * subresource of a prerendered page (`Sec-Purpose: prefetch;prerender`) is, and counts, as the
 * page it belongs to may well be shown.
 */
export function isPrefetch(h: Headers): boolean {
  const purpose = h.get('sec-purpose') ?? h.get('purpose') ?? h.get('x-moz');
  return purpose !== null && PREFETCH.test(purpose) && !/prerender/i.test(purpose);
}

/**
 * `/p/SLUG/`: Next.js (trailingSlash off, as in Umami) answers 308 to the path without its
 * trailing slash, query kept, before the route runs; the image request that follows is the hit.
 */
function toCanonicalPath(url: string): Response {
  const q = url.indexOf('?');
  const location = pathOf(url).replace(/\/$/, '') + (q >= 0 ? url.slice(q) : '');
  return new Response(null, { status: 308, headers: { location, ...UMAMI_PAGE_HEADERS } });
}

export function pixelHitRoutes(d: PixelHitRouteDeps) {
  /** Synchronous unless the write buffer makes the request wait (durable acks): a promise per hit costs ~1 µs. */
  function hit(request: Request, server: Server<unknown> | null, slug: string): Response | Promise<Response> {
    if (endsWithSlash(request.url)) return toCanonicalPath(request.url);
    // Without a Host, Bun hands over only the path, and Elysia routes `//:99999/p/SLUG` here,
    // reading `//:99999` as a host: Next.js sends such a path on (308), it records no hit.
    if (request.url.charCodeAt(0) === 0x2f && request.url.charCodeAt(1) === 0x2f) {
      const onward = repeatedSlashRedirect(request.url, true);
      if (onward) return onward;
    }
    const ip = requestClientIp(d.ipPolicy, server, request);
    if (d.limiter) {
      const r = d.limiter.take(limiterKey(ip));
      if (!r.allowed) {
        d.drops.add('rate-limited');
        return withUmamiPageHeaders(errorResponse(new ApiError('too-many-requests', undefined, {}, { 'retry-after': String(r.retryAfterS) })));
      }
    }
    const pixelId = d.pixelForSlug(slug);
    if (!pixelId) {
      d.drops.add('unknown-pixel');
      return withUmamiPageHeaders(errorResponse(new ApiError('not-found')));
    }
    const h = request.headers;
    if (isPrefetch(h)) {
      d.drops.add('prefetch');
      return gif();
    }
    if (isDocsTryOut(h)) {
      d.drops.add('docs-try-out');
      return gif();
    }
    // Bots too get here: they are told apart (and counted) where the event is built, off this
    // thread; their answer is the same GIF.
    const s = d.buffer.submit(
      deferPixelHit(d, { pixelId, url: absoluteUrl(request.url), referer: headerTextOrBytes(h, 'referer'), userAgent: h.get('user-agent') ?? '', hints: clientHintsFrom(h), ip, nowMs: d.clock() }, d.mailProxies),
    );
    return s instanceof Promise ? s.then(answered) : answered(s);
  }

  /** A full buffer still gets its GIF (decisions.md); the drop is counted. A late durable ack is no drop: the hit stays queued. */
  function answered(outcome: SubmitOutcome): Response {
    if (outcome === 'full') d.drops.add('buffer-full');
    return gif();
  }

  return new Elysia({ name: 'pixel-hit' }).get('/p/:slug', ({ request, server, params }) => hit(request, server, params.slug), {
    detail: {
      summary: 'Record an Umami pixel hit (embed as <img src=".../p/{slug}">)',
      description:
        'Answers the 43-byte Umami GIF with no-cache headers and records a `pixel` event: the hit URL with its UTM parameters, ' +
        'the Referer, UA and geo, cookieless visitor and session ids. Bots, browsers prefetching the URL (`Sec-Purpose: prefetch`) and this page\'s "Try it out" ' +
        'get the GIF and are not stored; ' +
        'Gmail\'s image proxy is a bot too unless the server runs with `--pixel-mail-proxies`. ' +
        'Unknown or deleted slug: 404 JSON. Not rate limited unless the server runs with `--rate-limit-pixels`.',
      tags: ['Pixels'],
      responses: {
        200: {
          description: 'The 1×1 GIF (43 bytes)',
          headers: {
            'Cache-Control': { schema: { type: 'string' }, description: 'no-cache, no-store, must-revalidate' },
            Pragma: { schema: { type: 'string' }, description: 'no-cache' },
            Expires: { schema: { type: 'string' }, description: '0' },
            'Content-Security-Policy': { schema: { type: 'string' }, description: "Umami's, as on every answer under /p/ and /api/" },
            'X-DNS-Prefetch-Control': { schema: { type: 'string' }, description: 'on' },
          },
          content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } },
        },
        308: { description: 'The path ended with a slash: Location is the path without it, query kept (as Next.js answers in Umami). A path with repeated slashes (//p/{slug}) is sent on to the path with single ones, the same way', headers: { Location: { schema: { type: 'string' }, description: '/p/{slug}?…' } } },
        404: { description: 'Unknown or deleted slug (not-found)', content: { 'application/json': { schema: ErrorBody } } },
        405: { description: 'Any method but GET and HEAD (OPTIONS: 204); Allow lists them' },
        429: { description: 'Rate limited (only with --rate-limit-pixels); Retry-After in seconds', content: { 'application/json': { schema: ErrorBody } } },
      } as never,
    },
  });
}
