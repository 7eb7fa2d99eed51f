/** @module Health routes: Prisme's any-method healthcheck and Umami's heartbeat. */
import { Elysia, t } from 'elysia';
import { requestId } from './prisme-gate.ts';
import { pathOf } from './request-values.ts';
import { UMAMI_API_HEADERS } from './umami-api-headers.ts';

const healthDetail = {
  summary: 'Prisme health check (any method, any path that starts with this one)',
  description: 'Answers 200 with an empty body while the process runs. Not rate limited, no origin check.',
  tags: ['Health'],
  'x-footfall-never-fails': true,
};

/** Prisme's healthcheck: 200, empty. `requestIdHeader`: see prisme-gate.ts (the proxy's id is echoed when trusted). */
export function healthcheck(requestIdHeader: string | null) {
  return ({ request }: { request: Request }) =>
    new Response(null, { status: 200, headers: { server: 'prisme', 'x-prisme-request-id': requestId(request.headers, requestIdHeader) } });
}

/**
 * A path that starts with `/api/v1/healthcheck`, in any case: Prisme mounts the healthcheck with
 * fiber's `app.Use`, which takes every path with that prefix (`/api/v1/healthcheckz` too) and
 * ignores case.
 */
export function isHealthcheckPath(url: string): boolean {
  return pathOf(url).toLowerCase().startsWith('/api/v1/healthcheck');
}

export function healthRoutes(requestIdHeader: string | null = null) {
  const handler = healthcheck(requestIdHeader);
  return new Elysia({ name: 'health' })
    .all('/api/v1/healthcheck', handler, { detail: healthDetail, response: { 200: t.Void() } })
    // Same handler under any sub-path (Prisme mounts it with app.Use). OpenAPI cannot express a
    // wildcard, so this twin is hidden and the documented route says so.
    .all('/api/v1/healthcheck/*', handler, { detail: { hide: true } })
    // Under /api/, so with Umami's /api headers (its next.config), as every other /api answer.
    .get('/api/heartbeat', ({ set }) => (Object.assign(set.headers, UMAMI_API_HEADERS), { ok: true as const }), {
      detail: { summary: 'Umami heartbeat', tags: ['Health'], 'x-footfall-never-fails': true },
      response: { 200: t.Object({ ok: t.Literal(true) }) },
    });
}
