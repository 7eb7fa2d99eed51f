/** @module Umami pixel routes: GET|POST /api/pixels, GET|POST|DELETE /api/pixels/:pixelId, a team's pixels, and a pixel's export. */
import { Elysia, t } from 'elysia';
import { createPixel, deletePixel, listPixels, listTeamPixels, updatePixel, viewablePixel } from '../accounts/pixels.ts';
import { errorResponses } from './errors.ts';
import { checkExportQuery, exportAnswer, ExportQuery, exportResponsesDoc } from './export-stream.ts';
import { BEARER, requirePrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { Ok, PagedOf, PagingQuery, Pixel, pixelJson, UuidBody, UuidParam, pagedList } from './management-schemas.ts';

const PixelParams = UuidParam('pixelId');
const Name = t.String({ maxLength: 100, examples: ['Umami Pixel'] });
/** decisions.md: 8–100 of [A-Za-z0-9_-] on create and update (upstream checks less and crashes on the rest). */
const Slug = t.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'URL slug: GET /p/{slug} records a hit', examples: ['pixel123'] });

export function pixelRoutes(ctx: ManagementContext) {
  const me = (h: string | undefined) => requirePrincipal(ctx, h);
  return new Elysia()
    .get('/api/pixels', ({ headers, query, request }) => pagedList(request, query, (page) => listPixels(ctx, me(headers.authorization), page), pixelJson), {
      query: PagingQuery,
      detail: { summary: "The caller's own pixels (team pixels: GET /api/teams/{teamId}/pixels)", tags: ['Pixels'], security: BEARER },
      response: { 200: PagedOf(Pixel), ...errorResponses(400, 401) },
    })
    .post('/api/pixels', ({ headers, body }) => pixelJson(createPixel(ctx, me(headers.authorization), body)), {
      parse: umamiJsonBody,
      body: t.Object(
        {
          name: Name,
          slug: Slug,
          teamId: t.Optional(t.Union([UuidBody(), t.Null()])),
          id: t.Optional(t.Union([UuidBody(), t.Null()])),
        },
        { examples: [{ name: 'Umami Pixel', slug: 'pixel123' }] },
      ),
      detail: {
        summary: 'Create a pixel',
        description: "With teamId, the caller needs a team role that may create websites; view-only users never can. A slug in use gets 400 `That slug is already taken.`",
        tags: ['Pixels'],
        security: BEARER,
      },
      response: { 200: Pixel, ...errorResponses(400, 401, 404, 413) },
    })
    .get('/api/pixels/:pixelId', ({ headers, params }) => pixelJson(viewablePixel(ctx, me(headers.authorization), params.pixelId)), {
      params: PixelParams,
      detail: { summary: 'Get a pixel', tags: ['Pixels'], security: BEARER },
      response: { 200: Pixel, ...errorResponses(400, 401, 404) },
    })
    .post('/api/pixels/:pixelId', ({ headers, params, body }) => pixelJson(updatePixel(ctx, me(headers.authorization), params.pixelId, body)), {
      parse: umamiJsonBody,
      params: PixelParams,
      body: t.Object({ name: t.Optional(Name), slug: t.Optional(Slug) }, { examples: [{ name: 'Umami Pixel', slug: 'abcde123' }] }),
      detail: {
        summary: 'Update a pixel',
        description: 'A new slug works at once and the old one stops (404).',
        tags: ['Pixels'],
        security: BEARER,
      },
      response: { 200: Pixel, ...errorResponses(400, 401, 404, 413) },
    })
    .delete(
      '/api/pixels/:pixelId',
      ({ headers, params }) => {
        deletePixel(ctx, me(headers.authorization), params.pixelId);
        return { ok: true as const };
      },
      {
        params: PixelParams,
        detail: {
          summary: 'Delete a pixel',
          description: 'Soft delete: its slug answers 404 at once and may be reused; recorded hits are kept (admins can still export them).',
          tags: ['Pixels'],
          security: BEARER,
        },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    )
    .get(
      '/api/teams/:teamId/pixels',
      ({ headers, params, query, request }) => pagedList(request, query, (page) => listTeamPixels(ctx, me(headers.authorization), params.teamId, page), pixelJson),
      {
        params: UuidParam('teamId'),
        query: PagingQuery,
        detail: { summary: "A team's pixels (members and admins; for an admin, a team that is gone lists what it left)", tags: ['Pixels'], security: BEARER },
        response: { 200: PagedOf(Pixel), ...errorResponses(400, 401) },
      },
    )
    .get(
      '/api/pixels/:pixelId/export',
      ({ headers, params, query, request, server }) => {
        checkExportQuery(request, query);
        const principal = me(headers.authorization);
        const px = viewablePixel(ctx, principal, params.pixelId, true);
        return exportAnswer(ctx, request, server, principal, query, { filter: { pixelId: px.id }, kind: 'pixel', id: px.id }, (now) => viewablePixel(ctx, now, px.id, true));
      },
      {
        params: PixelParams,
        query: ExportQuery,
        detail: {
          summary: "Export a pixel's hits (NDJSON or CSV, streamed)",
          description:
            'Canonical `pixel` events, oldest first, streamed in constant memory. Anyone who may view the pixel may export it; ' +
            'admins can also export a deleted pixel, whose hits are kept. The caller is checked again before each ~64 KB of the ' +
            'stream, as for a website export: once it may no longer view the pixel, the download is cut short.',
          tags: ['Export'],
          security: BEARER,
          responses: exportResponsesDoc() as never,
        },
      },
    );
}
