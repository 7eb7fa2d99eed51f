/** @module API key routes: GET|POST /api/api-keys, DELETE /api/api-keys/:keyId. */
import { Elysia, t } from 'elysia';
import { createApiKey, listApiKeys, revokeApiKey } from '../accounts/api-keys.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requirePrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { ApiKey, apiKeyJson, NewApiKey, Ok, UuidParam } from './management-schemas.ts';

export function apiKeyRoutes(ctx: ManagementContext) {
  return new Elysia()
    .get('/api/api-keys', ({ headers }) => listApiKeys(ctx, requirePrincipal(ctx, headers.authorization)).map(apiKeyJson), {
      detail: { summary: "The caller's API keys (never the secret)", tags: ['Auth'], security: BEARER },
      response: { 200: t.Array(ApiKey), ...errorResponses(401) },
    })
    .post(
      '/api/api-keys',
      ({ headers, body }) => {
        const r = createApiKey(ctx, requirePrincipal(ctx, headers.authorization), body.name);
        return { ...apiKeyJson(r.record), key: r.key };
      },
      {
        parse: umamiJsonBody,
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 100 }) }, { examples: [{ name: 'nightly export' }] }),
        detail: {
          summary: 'Create an API key (shown once)',
          description:
            'The key (`footfall_…`) works as `Authorization: Bearer <key>` with the rights of its user, except making API keys, ' +
            'creating users and setting a password or a role, which need a login token (401 with a key). Only its hash is stored.',
          tags: ['Auth'],
          security: BEARER,
        },
        response: { 200: NewApiKey, ...errorResponses(400, 401, 413) },
      },
    )
    .delete(
      '/api/api-keys/:keyId',
      ({ headers, params }) => {
        revokeApiKey(ctx, requirePrincipal(ctx, headers.authorization), params.keyId);
        return { ok: true as const };
      },
      {
        params: UuidParam('keyId'),
        detail: { summary: 'Revoke an API key', tags: ['Auth'], security: BEARER },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    );
}
