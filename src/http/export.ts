/** @module GET /api/websites/:websiteId/export and /api/events/unassigned/export: a website's stored events (or those of no website) as streamed NDJSON or CSV. */
import { Elysia } from 'elysia';
import { viewableWebsite } from '../accounts/websites.ts';
import { ApiError } from './errors.ts';
import { checkExportQuery, exportAnswer, ExportQuery, exportResponsesDoc } from './export-stream.ts';
import type { Principal } from '../accounts/principal.ts';
import { BEARER, requirePrincipal, type ManagementContext } from './management-context.ts';
import { UuidParam } from './management-schemas.ts';

/** The events of no website are for admins only. */
function adminOnly(p: Principal): void {
  if (!p.isAdmin) throw new ApiError('unauthorized');
}

export function exportRoutes(ctx: ManagementContext) {
  return new Elysia().get(
    '/api/websites/:websiteId/export',
    ({ headers, params, query, request, server }) => {
      checkExportQuery(request, query);
      const principal = requirePrincipal(ctx, headers.authorization);
      const w = viewableWebsite(ctx, principal, params.websiteId, true);
      return exportAnswer(ctx, request, server, principal, query, { filter: { websiteId: w.id }, kind: 'website', id: w.id }, (now) => viewableWebsite(ctx, now, w.id, true));
    },
    {
      params: UuidParam('websiteId'),
      query: ExportQuery,
      detail: {
        summary: "Export a website's events (NDJSON or CSV, streamed)",
        description:
          'Canonical events, oldest first, streamed in constant memory. Anyone who may view the website may export it; ' +
          'admins can also export a deleted website, whose events are kept. The caller is checked again before each ~64 KB ' +
          'of the stream: once its token is logged out or revoked (or its API key), its user deleted, or it may no longer ' +
          'view the website, the download is cut short (the connection ends before the body does).',
        tags: ['Export'],
        security: BEARER,
        responses: exportResponsesDoc() as never,
      },
    },
  ).get(
    '/api/events/unassigned/export',
    ({ headers, query, request, server }) => {
      checkExportQuery(request, query);
      const principal = requirePrincipal(ctx, headers.authorization);
      adminOnly(principal);
      return exportAnswer(ctx, request, server, principal, query, { filter: { unassigned: true }, kind: 'unassigned', id: 'events' }, adminOnly);
    },
    {
      query: ExportQuery,
      detail: {
        summary: 'Export the events of no website (admins only; NDJSON or CSV, streamed)',
        description:
          'Prisme events whose page is on a host no website\'s domain covers: accepted because `--origins` lists their origin ' +
          '(as Prisme deployments configure it) but stored under no website. Create a website with that domain to have the next ones ' +
          'counted under it; these stay here. Oldest first, streamed in constant memory, and cut short once the caller is no ' +
          'longer an admin (or logged out), as the website export.',
        tags: ['Export'],
        security: BEARER,
        responses: exportResponsesDoc('admins') as never,
      },
    },
  );
}
