/** @module Health routes: Prisme's any-method healthcheck and Umami's heartbeat. */
import { Elysia, t } from 'elysia';

const healthDetail = {
  summary: 'Prisme health check (any method, any sub-path)',
  description: 'Answers 200 with an empty body while the process runs. Not rate limited, no origin check.',
  tags: ['Health'],
  'x-footfall-never-fails': true,
};

function healthcheck({ set }: { set: { headers: Record<string, string | number> } }) {
  set.headers['x-prisme-request-id'] = crypto.randomUUID();
  return new Response(null, { status: 200, headers: set.headers as Record<string, string> });
}

export function healthRoutes() {
  return new Elysia({ name: 'health' })
    .all('/api/v1/healthcheck', healthcheck, { detail: healthDetail, response: { 200: t.Void() } })
    // Same handler under any sub-path (Prisme mounts it with app.Use). OpenAPI cannot express a
    // wildcard, so this twin is hidden and the documented route says so.
    .all('/api/v1/healthcheck/*', healthcheck, { detail: { hide: true } })
    .get('/api/heartbeat', () => ({ ok: true as const }), {
      detail: { summary: 'Umami heartbeat', tags: ['Health'], 'x-footfall-never-fails': true },
      response: { 200: t.Object({ ok: t.Literal(true) }) },
    });
}
