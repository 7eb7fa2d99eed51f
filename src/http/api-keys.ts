/** @module API key routes: GET|POST /api/api-keys, DELETE /api/api-keys/:keyId, and the same at Umami's GET|POST /api/me/api-keys, DELETE /api/me/api-keys/:keyId in its shape. */
import { Elysia, t } from 'elysia';
import { createApiKey, listApiKeys, revokeApiKey, revokeOwnApiKey } from '../accounts/api-keys.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requirePrincipal, requireSessionPrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { ApiKey, apiKeyJson, NewApiKey, NewUmamiApiKey, newUmamiApiKeyJson, Ok, UmamiApiKey, umamiApiKeyJson, UuidParam } from './management-schemas.ts';

const NAME = t.Object({ name: t.String({ minLength: 1, maxLength: 100 }) }, { examples: [{ name: 'nightly export' }] });
const WHAT_A_KEY_DOES =
  'The key (`footfall_…`) works as `Authorization: Bearer <key>` with the rights of its user, except on the account routes ' +
  '(/api/users, /api/auth, /api/me/password, /api/me/api-keys) and for making keys, which need a login token (401 with a key), as in Umami. ' +
  'Only its hash is stored.';
/** Umami's (3.4+) paths for the same keys, as its API client (`@umami/api-client`: getMyApiKeys, createMyApiKey, deleteMyApiKey) calls them. */
const UMAMI_PATHS = 'The same keys as `/api/api-keys`, at the path and in the shape of Umami\'s API (`keyPrefix`), which its API client calls. As Umami\'s, these need a login token (401 with an API key).';

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
        body: NAME,
        detail: {
          summary: 'Create an API key (shown once)',
          description: WHAT_A_KEY_DOES,
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
    )
    .get('/api/me/api-keys', ({ headers }) => listApiKeys(ctx, requireSessionPrincipal(ctx, headers.authorization, 'list API keys here')).map(umamiApiKeyJson), {
      detail: { summary: "The caller's API keys, as Umami lists them (never the secret)", description: UMAMI_PATHS, tags: ['Auth'], security: BEARER },
      response: { 200: t.Array(UmamiApiKey), ...errorResponses(401) },
    })
    .post(
      '/api/me/api-keys',
      ({ headers, body }) => {
        const r = createApiKey(ctx, requirePrincipal(ctx, headers.authorization), body.name);
        return newUmamiApiKeyJson(r.record, r.key);
      },
      {
        parse: umamiJsonBody,
        body: NAME,
        detail: { summary: 'Create an API key (shown once), as Umami does', description: `${UMAMI_PATHS} ${WHAT_A_KEY_DOES}`, tags: ['Auth'], security: BEARER },
        response: { 200: NewUmamiApiKey, ...errorResponses(400, 401, 413) },
      },
    )
    .delete(
      '/api/me/api-keys/:keyId',
      ({ headers, params }) => {
        revokeOwnApiKey(ctx, requireSessionPrincipal(ctx, headers.authorization, 'revoke API keys here'), params.keyId);
        return { ok: true as const };
      },
      {
        params: UuidParam('keyId'),
        detail: { summary: 'Revoke one of the caller\'s API keys, at Umami\'s path', description: `${UMAMI_PATHS} As Umami, only the caller's own keys (another user's, an admin's call included: 404).`, tags: ['Auth'], security: BEARER },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    );
}
