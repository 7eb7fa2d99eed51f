/** @module Who is calling: the authenticated user and how they proved it (login token or API key). */
import { ApiError } from '../lib/api-error.ts';
import type { UserRole } from '../store/meta-store.ts';

export interface Principal {
  user: { id: string; username: string; role: UserRole };
  isAdmin: boolean;
  via: 'token' | 'api-key';
  /** SHA-256 of the login token (so logout can revoke it), when `via` is `token`. */
  tokenHash?: string;
  /** The API key's id, when `via` is `api-key`. */
  apiKeyId?: string;
}

/**
 * What only a login session may do: make API keys, create users, set a password or a role. An
 * API key is for a script; one that leaks would otherwise become an account (a new password logs
 * its owner out; an admin's key could make an admin and sign in as them) or outlive its own
 * revocation (keys it made).
 */
export function requireSession(p: Principal, what: string): void {
  if (p.via === 'api-key') throw new ApiError('unauthorized', `An API key cannot ${what}: sign in (POST /api/auth/login) and use the login token.`);
}
