/** @module GET /api/websites/:websiteId/export: a website's stored events as streamed NDJSON or CSV. */
import { Elysia } from 'elysia';
import { viewableWebsite } from '../accounts/websites.ts';
import { ApiError } from './errors.ts';
import { exportFilename, exportLines, ExportQuery, exportResponse, exportResponsesDoc } from './export-stream.ts';
import { BEARER, requirePrincipal, type ManagementContext } from './management-context.ts';
import { UuidParam } from './management-schemas.ts';

export function exportRoutes(ctx: ManagementContext) {
  return new Elysia().get(
    '/api/websites/:websiteId/export',
    ({ headers, params, query }) => {
      if (query.startAt !== undefined && query.endAt !== undefined && query.endAt < query.startAt)
        throw new ApiError('bad-request', 'endAt must not be before startAt');
      const w = viewableWebsite(ctx, requirePrincipal(ctx, headers.authorization), params.websiteId, true);
      const format = query.format ?? 'ndjson';
      const lines = exportLines(ctx.events, { websiteId: w.id, startAt: query.startAt, endAt: query.endAt }, format);
      return exportResponse(lines, format, exportFilename('website', w.id, format, query.startAt, query.endAt));
    },
    {
      params: UuidParam('websiteId'),
      query: ExportQuery,
      detail: {
        summary: "Export a website's events (NDJSON or CSV, streamed)",
        description:
          'Canonical events, oldest first, streamed in constant memory. Anyone who may view the website may export it; ' +
          'admins can also export a deleted website, whose events are kept.',
        tags: ['Export'],
        security: BEARER,
        responses: exportResponsesDoc() as never,
      },
    },
  );
}
