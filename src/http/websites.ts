/** @module Website routes (Umami-shaped, plus write keys): GET|POST /api/websites, GET|POST|DELETE /api/websites/:websiteId, write-key rotation. */
import { Elysia, t } from 'elysia';
import { createWebsite, deleteWebsite, listWebsites, rotateWriteKey, updateWebsite, viewableWebsite } from '../accounts/websites.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requirePrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { Ok, PagedOf, PagingQuery, ShareId, UuidBody, UuidParam, Website, websiteJson, pagedList } from './management-schemas.ts';

const WebsiteParams = UuidParam('websiteId');
const Name = t.String({ minLength: 1, maxLength: 100, examples: ['Blog'] });
const Domain = t.String({ maxLength: 500, description: 'Also registers its origin for the Prisme events API', examples: ['blog.example.com'] });

export function websiteRoutes(ctx: ManagementContext) {
  const me = (h: string | undefined) => requirePrincipal(ctx, h);
  return new Elysia()
    .get('/api/websites', ({ headers, query, request }) => pagedList(request, query, (page) => listWebsites(ctx, me(headers.authorization), page), websiteJson), {
      query: PagingQuery,
      detail: { summary: "The caller's websites and their teams' websites", tags: ['Websites'], security: BEARER },
      response: { 200: PagedOf(Website), ...errorResponses(400, 401) },
    })
    .post('/api/websites', ({ headers, body }) => websiteJson(createWebsite(ctx, me(headers.authorization), body)), {
      parse: umamiJsonBody,
      body: t.Object(
        {
          name: Name,
          domain: t.Optional(t.Union([Domain, t.Null()])),
          shareId: t.Optional(t.Union([ShareId, t.Null()])),
          teamId: t.Optional(t.Union([UuidBody(), t.Null()])),
          id: t.Optional(t.Union([UuidBody(), t.Null()])),
        },
        { examples: [{ name: 'Blog', domain: 'blog.example.com' }] },
      ),
      detail: {
        summary: 'Create a website (with a new write key)',
        description: "With teamId, the caller needs a team role that may create websites; view-only users never can.",
        tags: ['Websites'],
        security: BEARER,
      },
      response: { 200: Website, ...errorResponses(400, 401, 404, 413) },
    })
    .get('/api/websites/:websiteId', ({ headers, params }) => websiteJson(viewableWebsite(ctx, me(headers.authorization), params.websiteId)), {
      params: WebsiteParams,
      detail: { summary: 'Get a website', tags: ['Websites'], security: BEARER },
      response: { 200: Website, ...errorResponses(400, 401, 404) },
    })
    .post('/api/websites/:websiteId', ({ headers, params, body }) => websiteJson(updateWebsite(ctx, me(headers.authorization), params.websiteId, body)), {
      parse: umamiJsonBody,
      params: WebsiteParams,
      body: t.Object({ name: t.Optional(Name), domain: t.Optional(Domain), shareId: t.Optional(t.Union([ShareId, t.Null()])) }, { examples: [{ name: 'Blog (new)' }] }),
      detail: { summary: 'Update a website', tags: ['Websites'], security: BEARER },
      response: { 200: Website, ...errorResponses(400, 401, 404, 413) },
    })
    .delete(
      '/api/websites/:websiteId',
      ({ headers, params }) => {
        deleteWebsite(ctx, me(headers.authorization), params.websiteId);
        return { ok: true as const };
      },
      {
        params: WebsiteParams,
        detail: {
          summary: 'Delete a website',
          description: 'Soft delete: the write key and domain stop working at once; stored events are kept (admins can still export them).',
          tags: ['Websites'],
          security: BEARER,
        },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    )
    .post('/api/websites/:websiteId/write-key', ({ headers, params }) => websiteJson(rotateWriteKey(ctx, me(headers.authorization), params.websiteId)), {
      params: WebsiteParams,
      detail: { summary: 'Rotate the RudderStack write key (the old one stops working at once)', tags: ['Websites'], security: BEARER },
      response: { 200: Website, ...errorResponses(400, 401, 404) },
    });
}
