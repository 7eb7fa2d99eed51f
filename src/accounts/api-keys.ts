/** @module API keys: create (secret shown once), list (no secret), revoke; a key acts with its user's rights. */
import { ApiError } from '../lib/api-error.ts';
import type { ApiKeyRecord } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { requireSession, type Principal } from './principal.ts';
import { apiKeyPrefix, newApiKey, sha256Hex } from './secrets.ts';

/** Keys per user: enough for every integration, small enough that a runaway script is noticed. */
export const MAX_API_KEYS_PER_USER = 100;

export function createApiKey(d: AccountsDeps, p: Principal, name: string): { record: ApiKeyRecord; key: string } {
  requireSession(p, 'make API keys');
  if (d.meta.apiKeys.listForUser(p.user.id).length >= MAX_API_KEYS_PER_USER)
    throw new ApiError('bad-request', `At most ${MAX_API_KEYS_PER_USER} API keys per user; revoke one first.`);
  const key = newApiKey();
  const record = d.meta.apiKeys.create({ id: crypto.randomUUID(), userId: p.user.id, name, keyHash: sha256Hex(key), prefix: apiKeyPrefix(key) }, d.clock());
  return { record, key };
}

export function listApiKeys(d: AccountsDeps, p: Principal): ApiKeyRecord[] {
  return d.meta.apiKeys.listForUser(p.user.id);
}

/** Own keys; an admin may revoke anyone's. */
export function revokeApiKey(d: AccountsDeps, p: Principal, id: string): void {
  const k = d.meta.apiKeys.byId(id);
  if (!k) throw new ApiError('not-found');
  if (k.userId !== p.user.id && !p.isAdmin) throw new ApiError('unauthorized');
  d.meta.apiKeys.revoke(id, d.clock());
}

/** Umami's rule at /api/me/api-keys: one's own keys only, an admin's too (another user's key is not found). */
export function revokeOwnApiKey(d: AccountsDeps, p: Principal, id: string): void {
  const k = d.meta.apiKeys.byId(id);
  if (!k || k.userId !== p.user.id) throw new ApiError('not-found');
  d.meta.apiKeys.revoke(id, d.clock());
}
