/** @module createApp(deps) → the Elysia app: route families, OpenAPI, error mapping. No I/O at import. */
import { Elysia } from 'elysia';
import type { Server } from 'bun';
import { TransformDecodeError } from '@sinclair/typebox/value';
import type { Config } from './config.ts';
import type { Logger } from './lib/log.ts';
import type { Clock } from './lib/clock.ts';
import type { WriteBuffer } from './buffer/write-buffer.ts';
import type { EventStore } from './store/event-store.ts';
import type { DropCounter } from './ingest/drop-reasons.ts';
import type { MetaStore } from './store/meta-store.ts';
import { PasswordQueueFullError, type PasswordHasher } from './accounts/passwords.ts';
import { managementRoutes } from './http/management.ts';
import { repeatedSlashRedirect, routeMethods, unrouted, withUmamiApiHeaders } from './http/umami-api-headers.ts';
import { ApiError, errorResponse, NO_BODY_DETAILS, validationDetails } from './http/errors.ts';
import { withEveryPagingProblem } from './http/paging-problems.ts';
import { docsRoutes } from './http/docs.ts';
import { healthcheck, healthRoutes, isHealthcheckPath } from './http/health.ts';
import { prismeRoutes } from './http/prisme-events.ts';
import { prismeScriptRoutes } from './http/prisme-script.ts';
import { rudderRoutes, rudderUnmatched } from './http/rudder.ts';
import { rudderSourceConfigRoutes } from './http/rudder-source-config.ts';
import { pixelHitRoutes } from './http/pixel-hit.ts';
import { configIpPolicy, type LoopbackReach } from './http/client-ip.ts';
import { pathOf, queryText } from './http/request-values.ts';
import type { PrismeContext } from './ingest/prisme-context.ts';
import type { Limiter } from './limit/limiter.ts';

export interface AppDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  /**
   * What measures spans of what is kept in memory only (login throttles, uptime): monotonicClock
   * in the server, so a wall clock stepped back or forward stretches or cuts no wait. Defaults to
   * `clock` (tests drive one clock).
   */
  steadyClock?: Clock;
  /**
   * Whether other machines may reach 127.0.0.0/8 here (client-ip.ts LoopbackReach), kept current
   * by the server. Unknown (tests) counts as yes: every request's peer is asked for.
   */
  loopbackReach?: LoopbackReach;
  buffer: WriteBuffer;
  events: EventStore;
  drops: DropCounter;
  version: string;
  prisme: PrismeContext;
  /** The Prisme events limiter; null when --rate-limit off. */
  limiter: Limiter | null;
  /** The Umami pixel limiter; null unless --rate-limit-pixels (and --rate-limit not off). */
  pixelLimiter?: Limiter | null;
  meta: MetaStore;
  /** Defaults to argon2id at production cost; tests pass a cheap one. */
  passwords?: PasswordHasher;
}

/**
 * Elysia tells a failed decode of query, params or body (`page=0` against exclusiveMinimum, after
 * coercion) by `error.constructor.name === 'TransformDecodeError'`, and silently lets the raw
 * value through when the name differs. The binary is minified (`--minify` renames classes, and
 * Bun's `--keep-names` does not keep this one): the name is put back before any request.
 */
if (TransformDecodeError.name !== 'TransformDecodeError') Object.defineProperty(TransformDecodeError, 'name', { value: 'TransformDecodeError' });

export function createApp(deps: AppDeps) {
  const ipPolicy = configIpPolicy(deps.config, deps.loopbackReach);
  const requestIdHeader = deps.config.trustProxy ? deps.config.requestIdHeader.toLowerCase() : null;
  // Website domains are Prisme origins from the moment they are saved: no restart.
  const origins = deps.prisme.origins;
  const refreshOrigins = () => origins.setWebsites(deps.meta.websites.domains());
  refreshOrigins();
  deps.meta.onWebsitesChanged(refreshOrigins);
  /** A validation error's details; when they name a paging field, every bad one's problem, not the first only (withEveryPagingProblem). */
  const queryProblems = (error: unknown, request?: Request) => {
    const details = validationDetails(error);
    return request ? withEveryPagingProblem(details, new URLSearchParams(queryText(request.url))) : details;
  };
  function mapError(code: string | number, error: unknown, request?: Request): Response {
    if (error instanceof ApiError) return errorResponse(error);
    if (error instanceof PasswordQueueFullError)
      return errorResponse(new ApiError('too-many-requests', 'Too many password checks at once; try again shortly.', {}, { 'retry-after': '1' }));
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_BUSY') {
      // Another process (a sqlite3 shell, a backup tool) held the database's write lock past the
      // wait: a moment's trouble, not a server error; nothing was written.
      deps.log.warn('database busy: another process holds its write lock', { error: String(error) });
      return errorResponse(new ApiError('service-unavailable', 'The database is busy; try again shortly.', {}, { 'retry-after': '1' }));
    }
    const sqlite = String((error as { code?: unknown } | null)?.code ?? '');
    if (sqlite === 'SQLITE_FULL' || sqlite.startsWith('SQLITE_IOERR') || sqlite === 'SQLITE_READONLY' || sqlite.startsWith('SQLITE_READONLY_')) {
      // The disk is full or failing, or the file was made read-only under us: the operator's to
      // fix, and a request may succeed once they have; nothing was written (SQLite rolled back).
      deps.log.error('database cannot be written; a management request was refused', { route: request ? `${request.method} ${pathOf(request.url)}` : undefined, error: String(error) });
      return errorResponse(new ApiError('service-unavailable', 'The database cannot be written just now; try again later.', {}, { 'retry-after': '30' }));
    }
    switch (code) {
      case 'VALIDATION':
        // A response that fails its own schema is our bug, not bad input.
        if ((error as { type?: string }).type === 'response') break;
        return errorResponse(new ApiError('bad-request', undefined, queryProblems(error, request)));
      case 'PARSE': {
        // A route's own parser (umamiJsonBody) says precisely what is wrong; Elysia wraps it.
        const cause = (error as { cause?: unknown }).cause;
        return errorResponse(cause instanceof ApiError ? cause : new ApiError('bad-request', undefined, NO_BODY_DETAILS));
      }
      case 'NOT_FOUND':
        return errorResponse(new ApiError('not-found'));
    }
    deps.log.error('unhandled error', { code: String(code), route: request ? `${request.method} ${pathOf(request.url)}` : undefined, error: String(error) });
    return errorResponse(new ApiError('server-error'));
  }
  const prisme = prismeRoutes({ prisme: deps.prisme, limiter: deps.limiter, ipPolicy, buffer: deps.buffer, drops: deps.drops, requestIdHeader });
  const health = healthcheck(requestIdHeader);
  /** A path Elysia has no route for: Prisme's paths in another case, else Umami's 404 (or preflight). */
  const unmatched = (request: Request, server: Server<unknown> | null, notFound: () => Response): Response | Promise<Response> =>
    prisme.dispatch({ request, server }) ??
    (isHealthcheckPath(request.url)
      ? health({ request })
      : rudderUnmatched(request) ?? repeatedSlashRedirect(request.url) ?? unrouted(request, notFound, (path) => (allowed ??= routeMethods(app.routes))(path)));
  let allowed: ((path: string) => string[]) | undefined;
  const app = (
    // nativeStaticResponse off: Bun's static routes would bypass the app (and let the swagger
    // plugin's CDN page win over ours in docs.ts). standardHostname off: Elysia would otherwise
    // look for the path from the URL's 11th character on ("http://a.bc"), so behind `Host: app`
    // (a container's name, port 80) /api/v1/healthcheck was routed as /v1/healthcheck and a POST
    // to /pixel/v1/track as /v1/track. Bun hands over "http://HOST/…" (never https: no TLS
    // here), or only the path when there is no Host; Elysia misroutes that form either way,
    // and what it cannot route reaches `unmatched`, which reads the path itself (pathOf).
    new Elysia({ nativeStaticResponse: false, handler: { standardHostname: false } })
      .onError(({ code, error, request, server }) =>
        code === 'NOT_FOUND' ? unmatched(request, server, () => mapError(code, error, request)) : withUmamiApiHeaders(request, mapError(code, error, request)))
      .use(docsRoutes(deps.version))
      .use(healthRoutes(requestIdHeader))
      .use(prisme.routes)
      .use(prismeScriptRoutes(requestIdHeader))
      .use(rudderRoutes({
        websiteForWriteKey: (key) => deps.meta.websites.byWriteKey(key)?.id ?? null,
        ua: deps.prisme.ua, geo: deps.prisme.geo, clock: deps.clock,
        ipPolicy, buffer: deps.buffer, drops: deps.drops, keepIp: deps.config.keepIp,
      }))
      .use(rudderSourceConfigRoutes({
        websiteForWriteKey: (key) => {
          const id = deps.meta.websites.byWriteKey(key)?.id;
          const website = id ? deps.meta.websites.byId(id) : null;
          return website ? { id: website.id, name: website.name } : null;
        },
      }))
      .use(pixelHitRoutes({
        pixelForSlug: (slug) => deps.meta.pixels.bySlug(slug)?.id ?? null,
        geo: deps.prisme.geo, salts: deps.prisme.salts, clock: deps.clock,
        ipPolicy, buffer: deps.buffer, drops: deps.drops, limiter: deps.pixelLimiter ?? null,
        mailProxies: deps.config.pixelMailProxies,
      }))
      .use(managementRoutes(deps))
  );
  return app;
}

export type App = ReturnType<typeof createApp>;
