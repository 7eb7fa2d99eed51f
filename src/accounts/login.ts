/** @module Login, logout and token issue: (name, password, client IP) → a login token, throttled, equal-time on failure. */
import { ApiError } from '../lib/api-error.ts';
import type { UserRecord } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { Principal } from './principal.ts';
import { newLoginToken, sha256Hex } from './secrets.ts';

/** Login tokens live 7 days (Umami's JWTs do not expire at all); logout or a password change ends them sooner. */
export const TOKEN_TTL_MS = 7 * 86_400_000;

export interface LoginDeps extends AccountsDeps {
  throttle: LoginThrottle;
  tokenTtlMs?: number;
}

export async function login(deps: LoginDeps, username: string, password: string, ip: string): Promise<{ token: string; user: UserRecord }> {
  // Counted from before the hash, so concurrent tries cannot all pass a check made before any failed.
  const verdict = deps.throttle.attempt(ip, username);
  if (!verdict.allowed)
    throw new ApiError('too-many-requests', 'Too many failed logins; try again later.', {}, { 'retry-after': String(verdict.retryAfterS) });
  try {
    const user = deps.meta.users.byUsername(username);
    // One argon2 verify on both paths: a missing user costs the same as a wrong password.
    const ok = await deps.passwords.verify(password, user?.passwordHash ?? null);
    // Read again after the wait: a password changed (or the user deleted) while this one was
    // checked makes it a wrong one, so no token outlives the change that was meant to end them.
    const now = user && ok ? deps.meta.users.byId(user.id) : null;
    if (!now || now.passwordHash !== user!.passwordHash) {
      deps.throttle.fail(verdict.ticket);
      // Umami's answer: the message stays "Unauthorized", the code says why (its UI and clients read it).
      throw new ApiError('unauthorized', undefined, { code: 'incorrect-username-password' });
    }
    deps.throttle.succeed(verdict.ticket);
    return { token: issueToken(deps, now.id), user: now };
  } finally {
    // A try that ended in neither (the hasher's queue full, the database failing) is charged nothing;
    // after fail or succeed this does nothing.
    deps.throttle.release(verdict.ticket);
  }
}

export function issueToken(deps: AccountsDeps & { tokenTtlMs?: number }, userId: string): string {
  const now = deps.clock();
  const token = newLoginToken();
  deps.meta.tokens.create({ tokenHash: sha256Hex(token), userId, expiresAt: now + (deps.tokenTtlMs ?? TOKEN_TTL_MS) }, now);
  return token;
}

/**
 * Revokes the login token used for this request. An API key is no session: logging out with one
 * is refused (it answered "ok" and the key went on working), and names the way to revoke it.
 */
export function logout(deps: AccountsDeps, p: Principal): void {
  // 401, as Umami refuses keys on /api/auth/*; the message says how to end a key.
  if (p.via === 'api-key') throw new ApiError('unauthorized', `An API key is not a login session and stays valid: revoke it with DELETE /api/api-keys/${p.apiKeyId}.`);
  if (p.tokenHash) deps.meta.tokens.revoke(p.tokenHash, deps.clock());
}
