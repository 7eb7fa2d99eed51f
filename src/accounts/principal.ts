/** @module Who is calling: the authenticated user and how they proved it (login token or API key). */
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
