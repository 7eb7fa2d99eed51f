/** @module RudderStack control plane, the one call the JavaScript SDK makes: a write key → its website as an enabled source with no destinations. */
import { Elysia } from 'elysia';
import { basicAuthUser } from './rudder.ts';
import { rudderDocs } from './rudder-docs.ts';
import { corsHeaders, preflight, text } from './rudder-responses.ts';
import { queryText } from './request-values.ts';

export interface SourceConfigDeps {
  /** Write key → the live website that has it, or null. */
  websiteForWriteKey(key: string): { id: string; name: string } | null;
}

/**
 * What `GET /sourceConfig/` answers for a website: the shape the SDK validates (`source.id`, an object
 * `source.config`, an array `source.destinations`). Footfall is the destination, so there are none and
 * the SDK loads no device-mode integration. `statsCollection` off keeps the SDK from posting its own
 * errors and metrics to `<dataPlaneUrl>/rsaMetrics`, which Footfall does not serve. A website is its own
 * workspace: the owner's user or team id is nobody's business on a public page.
 */
export function sourceConfig(website: { id: string; name: string }, writeKey: string) {
  return {
    source: {
      id: website.id,
      name: website.name,
      writeKey,
      enabled: true,
      workspaceId: website.id,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [] as never[],
    },
  };
}

/** The Basic auth user name (what the SDK's HTTP client sends), else the `writeKey` query parameter. */
export function sourceConfigWriteKey(request: Request): string | null {
  const fromHeader = basicAuthUser(request.headers.get('authorization'));
  if (fromHeader !== null) return fromHeader;
  return new URLSearchParams(queryText(request.url)).get('writeKey') || null;
}

export function rudderSourceConfigRoutes(d: SourceConfigDeps) {
  const answer = (request: Request): Response => {
    const cors = corsHeaders(request);
    const key = sourceConfigWriteKey(request);
    if (key === null) return text(401, 'failed to read writekey from header', cors);
    const website = d.websiteForWriteKey(key);
    if (!website) return text(404, 'source not found', cors);
    return new Response(JSON.stringify(sourceConfig(website, key)), {
      headers: { ...cors, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  };
  // Elysia matches `/sourceConfig/` (what the SDK requests) on these too: paths are not strict.
  return new Elysia({ name: 'rudder-source-config' })
    .get('/sourceConfig', ({ request }) => answer(request), { parse: 'none', detail: rudderDocs.sourceConfig() })
    .all('/sourceConfig', ({ request }) => preflight(request) ?? notAllowed(request), { parse: 'none', detail: { hide: true } });
}

function notAllowed(request: Request): Response {
  return new Response(null, { status: 405, headers: { ...corsHeaders(request), allow: 'GET' } });
}
