/** @module User routes (admin, Umami-shaped): GET|POST /api/users, GET|POST|DELETE /api/users/:userId. */
import { Elysia, t } from 'elysia';
import { createUser, deleteUser, getUser, listUsers, updateUser } from '../accounts/users.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requireSessionPrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { Ok, PagedOf, PagingQuery, Password, User, userJson, Username, UserRoleSchema, UuidBody, UuidParam, pagedList } from './management-schemas.ts';

export function userRoutes(ctx: ManagementContext) {
  return new Elysia()
    .get('/api/users', ({ headers, query, request }) => pagedList(request, query, (page) => listUsers(ctx, requireSessionPrincipal(ctx, headers.authorization, 'manage users'), page), userJson), {
      query: PagingQuery,
      detail: { summary: 'List users (admin)', tags: ['Users'], security: BEARER },
      response: { 200: PagedOf(User), ...errorResponses(400, 401) },
    })
    .post('/api/users', async ({ headers, body }) => userJson(await createUser(ctx, requireSessionPrincipal(ctx, headers.authorization, 'manage users'), body)), {
      parse: umamiJsonBody,
      body: t.Object(
        { id: t.Optional(UuidBody()), username: Username, password: Password, role: t.Optional(UserRoleSchema) },
        { examples: [{ username: 'alice', password: 'correct horse battery staple', role: 'user' }] },
      ),
      detail: {
        summary: 'Create a user (admin)',
        description: 'Needs a login token (401 with an API key). 429 when too many password hashes are already waiting (Retry-After: 1).',
        tags: ['Users'],
        security: BEARER,
      },
      response: { 200: User, ...errorResponses(400, 401, 413, 429) },
    })
    .get('/api/users/:userId', ({ headers, params }) => userJson(getUser(ctx, requireSessionPrincipal(ctx, headers.authorization, 'manage users'), params.userId)), {
      params: UuidParam('userId'),
      detail: { summary: 'Get a user (admin, or oneself)', tags: ['Users'], security: BEARER },
      response: { 200: User, ...errorResponses(400, 401, 404) },
    })
    .post(
      '/api/users/:userId',
      async ({ headers, params, body }) => userJson(await updateUser(ctx, requireSessionPrincipal(ctx, headers.authorization, 'manage users'), params.userId, body)),
      {
        parse: umamiJsonBody,
        params: UuidParam('userId'),
        body: t.Object(
          { username: t.Optional(Username), password: t.Optional(Password), role: t.Optional(UserRoleSchema) },
          { examples: [{ password: 'a new long passphrase' }] },
        ),
        detail: {
          summary: 'Update a user',
          description:
            'Anyone may change their own password (their other sessions end); only an admin changes username and role. ' +
            'Needs a login token: an API key gets 401 on every /api/users route, as in Umami. ' +
            '429 when too many password hashes are already waiting (Retry-After: 1).',
          tags: ['Users'],
          security: BEARER,
        },
        response: { 200: User, ...errorResponses(400, 401, 404, 413, 429) },
      },
    )
    .delete(
      '/api/users/:userId',
      ({ headers, params }) => {
        deleteUser(ctx, requireSessionPrincipal(ctx, headers.authorization, 'manage users'), params.userId);
        return { ok: true as const };
      },
      {
        params: UuidParam('userId'),
        detail: {
          summary: 'Delete a user (admin)',
          description: "Soft delete, as Umami's cascade: the user's websites, the teams they own, memberships, tokens and keys go too. Their pixels, and those of the teams they owned, are kept and keep counting, as Umami leaves them; an admin manages them by id. Stored events are kept.",
          tags: ['Users'],
          security: BEARER,
        },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    );
}
