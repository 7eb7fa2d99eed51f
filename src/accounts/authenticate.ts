/** @module `Authorization` header → Principal (login token or `footfall_` API key), or null. */
import type { MetaStore, UserRecord } from '../store/meta-store.ts';
import type { Principal } from './principal.ts';
import { API_KEY_PREFIX, sha256Hex } from './secrets.ts';

/** Longer values are not credentials we issued; refusing them early bounds the hashing work. */
const MAX_CREDENTIAL = 256;
/** `last_used_at` is written at most once a minute per key, so API-key traffic does not turn reads into writes. */
const TOUCH_EVERY_MS = 60_000;

/**
 * What Umami takes from the header (getBearerToken): the text between its first and second
 * space, the scheme word unchecked. So `Bearer  tok` (two spaces) is no credential, and `Bearer
 * tok more` is `tok`. (The header reaches us trimmed, as it reaches Umami.)
 */
export function bearerCredential(header: string | null | undefined): string | null {
  if (!header) return null;
  const cred = header.split(' ')[1];
  return cred && cred.length <= MAX_CREDENTIAL ? cred : null;
}

export function authenticate(meta: MetaStore, header: string | null | undefined, now: number): Principal | null {
  const cred = bearerCredential(header);
  if (!cred) return null;
  const hash = sha256Hex(cred);
  if (cred.startsWith(API_KEY_PREFIX)) {
    const key = meta.apiKeys.byHash(hash);
    if (!key) return null;
    const user = meta.users.byId(key.userId);
    if (!user) return null;
    if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_EVERY_MS) meta.apiKeys.touch(key.id, now);
    return principalOf(user, { via: 'api-key', apiKeyId: key.id });
  }
  const token = meta.tokens.live(hash, now);
  if (!token) return null;
  const user = meta.users.byId(token.userId);
  return user ? principalOf(user, { via: 'token', tokenHash: hash }) : null;
}

/**
 * The same caller as it stands now: its login token still live (or its API key not revoked), its
 * user not deleted, the role read again; null otherwise. For a service that waited (a password
 * hash takes ~100 ms) between checking the caller's rights and writing: a session revoked, or an
 * admin deleted or demoted, meanwhile must not complete the write.
 */
export function currentPrincipal(meta: MetaStore, p: Principal, now: number): Principal | null {
  const userId = p.via === 'api-key'
    ? (p.apiKeyId ? meta.apiKeys.byId(p.apiKeyId)?.userId : undefined)
    : (p.tokenHash ? meta.tokens.live(p.tokenHash, now)?.userId : undefined);
  const user = userId === p.user.id ? meta.users.byId(userId) : null;
  return user ? principalOf(user, p.via === 'api-key' ? { via: 'api-key', apiKeyId: p.apiKeyId } : { via: 'token', tokenHash: p.tokenHash }) : null;
}

function principalOf(user: UserRecord, how: Pick<Principal, 'via' | 'tokenHash' | 'apiKeyId'>): Principal {
  return { user: { id: user.id, username: user.username, role: user.role }, isAdmin: user.role === 'admin', ...how };
}
