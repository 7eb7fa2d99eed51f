/** @module The caller's own views: GET /api/me, /api/me/websites, /api/me/teams, and POST /api/me/password. */
import { Elysia, t } from 'elysia';
import { listTeams, seesAccessCode } from '../accounts/teams.ts';
import { changeOwnPassword } from '../accounts/users.ts';
import { listWebsites } from '../accounts/websites.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requestIp, requirePrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { PagedOf, PagingQuery, Password, Team, teamJson, User, userJson, Website, websiteJson, pagedList } from './management-schemas.ts';

/** GET /api/me's answer, as Umami's (3.4+) contract has it. */
const Me = t.Object({
  user: User,
  authType: t.Union([t.Literal('session'), t.Literal('api-key')]),
  apiKey: t.Optional(t.Object({ id: t.String({ format: 'uuid' }), name: t.String() }, { description: 'The API key used, when authType is api-key' })),
});

export function meRoutes(ctx: ManagementContext) {
  return new Elysia()
    .get('/api/me', ({ headers }) => {
      const p = requirePrincipal(ctx, headers.authorization);
      const user = userJson(ctx.meta.users.byId(p.user.id)!);
      if (p.via === 'token') return { user, authType: 'session' as const };
      const key = ctx.meta.apiKeys.byId(p.apiKeyId!)!;
      return { user, authType: 'api-key' as const, apiKey: { id: key.id, name: key.name } };
    }, {
      detail: {
        summary: 'Who is signed in, and how',
        description: "As Umami answers it: the user, `authType` (`session` for a login token, `api-key` for an API key) and, for a key, its id and name.",
        tags: ['Users'],
        security: BEARER,
      },
      response: { 200: Me, ...errorResponses(401) },
    })
    .get(
      '/api/me/websites',
      ({ headers, query, request }) => pagedList(request, query, (page, q) => listWebsites(ctx, requirePrincipal(ctx, headers.authorization), page, q.includeTeams ?? true), websiteJson),
      {
        query: t.Composite([PagingQuery, t.Object({ includeTeams: t.Optional(t.Boolean({ default: true, description: 'Also websites of the teams the caller is in' })) })]),
        detail: { summary: "The caller's websites (own, and their teams')", tags: ['Websites'], security: BEARER },
        response: { 200: PagedOf(Website), ...errorResponses(400, 401) },
      },
    )
    .get('/api/me/teams', ({ headers, query, request }) => {
      const p = requirePrincipal(ctx, headers.authorization);
      return pagedList(request, query, (page) => listTeams(ctx, p, page), (team) => teamJson(team, seesAccessCode(ctx, p, team.id)));
    }, {
      query: PagingQuery,
      detail: { summary: 'The teams the caller is a member of', tags: ['Teams'], security: BEARER },
      response: { 200: PagedOf(Team), ...errorResponses(400, 401) },
    })
    .post(
      '/api/me/password',
      async ({ headers, body, request, server }) =>
        userJson(await changeOwnPassword(ctx, requirePrincipal(ctx, headers.authorization), body.currentPassword, body.newPassword, requestIp(ctx, server, request))),
      {
        parse: umamiJsonBody,
        body: t.Object(
          { currentPassword: t.String({ maxLength: 255 }), newPassword: Password },
          { examples: [{ currentPassword: 'correct horse battery staple', newPassword: 'a new long passphrase' }] },
        ),
        detail: {
          summary: 'Change my password',
          description:
            'Umami\'s route: the current password, then the new one (8 to 255 characters). 400 `Current password is incorrect`; ' +
            'wrong ones count as failed logins of the caller (429 with Retry-After once throttled). Needs a login token: 401 with an API key. ' +
            'The caller\'s other sessions end; this one and API keys stay. 429 when too many password hashes are already waiting (Retry-After: 1).',
          tags: ['Users'],
          security: BEARER,
        },
        response: { 200: User, ...errorResponses(400, 401, 413, 429) },
      },
    );
}
