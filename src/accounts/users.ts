/** @module User management (Umami's rules): list, create, get, update, delete; admin only except reading and re-passwording oneself. */
import { ApiError } from '../http/errors.ts';
import type { PageQuery, Page, UserRecord, UserRole } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { canCreateUser, canDeleteUser, canListUsers, canUpdateUser, canViewUser } from './permissions.ts';
import type { Principal } from './principal.ts';

export function listUsers(d: AccountsDeps, p: Principal, q: PageQuery): Page<UserRecord> {
  if (!canListUsers(p)) throw new ApiError('unauthorized');
  return d.meta.users.list(q);
}

export async function createUser(
  d: AccountsDeps,
  p: Principal,
  input: { id?: string; username: string; password: string; role?: UserRole },
): Promise<UserRecord> {
  if (!canCreateUser(p)) throw new ApiError('unauthorized');
  const taken = () => !!d.meta.users.byUsername(input.username) || (!!input.id && !!d.meta.users.byId(input.id));
  if (taken()) throw new ApiError('bad-request', 'User already exists');
  const passwordHash = await d.passwords.hash(input.password);
  // Asked again once the hash is made (~100 ms of waiting): another request may have taken the
  // name or id meanwhile, and the insert would then fail on the unique index (a 500).
  if (taken()) throw new ApiError('bad-request', 'User already exists');
  return createOrTaken(() => d.meta.users.create({ id: input.id ?? crypto.randomUUID(), username: input.username, passwordHash, role: input.role ?? 'user' }, d.clock()));
}

/**
 * The create, or 400 when the unique index refuses it: an id may belong to a deleted user (ids
 * are never reused), which the checks above, about live users, do not see.
 */
function createOrTaken(create: () => UserRecord): UserRecord {
  try {
    return create();
  } catch (e) {
    if (String((e as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT')) throw new ApiError('bad-request', 'User already exists');
    throw e;
  }
}

export function getUser(d: AccountsDeps, p: Principal, id: string): UserRecord {
  if (!canViewUser(p, id)) throw new ApiError('unauthorized');
  const u = d.meta.users.byId(id);
  if (!u) throw new ApiError('not-found');
  return u;
}

/**
 * Umami: anyone may change their own password; only an admin changes `username` and `role`
 * (silently ignored otherwise). A password change ends the user's other login sessions.
 */
export async function updateUser(
  d: AccountsDeps,
  p: Principal,
  id: string,
  input: { username?: string; password?: string; role?: UserRole },
): Promise<UserRecord> {
  if (!canUpdateUser(p, id)) throw new ApiError('unauthorized');
  const u = d.meta.users.byId(id);
  if (!u) throw new ApiError('not-found');
  const patch: { username?: string; passwordHash?: string; role?: UserRole } = {};
  if (p.isAdmin && input.role) patch.role = input.role;
  if (p.isAdmin && input.username && input.username !== u.username) {
    if (d.meta.users.byUsername(input.username)) throw new ApiError('bad-request', 'User already exists');
    patch.username = input.username;
  }
  if (p.isAdmin && id === p.user.id && patch.role && patch.role !== 'admin') throw new ApiError('bad-request', 'You cannot remove your own admin role.');
  if (input.password) {
    patch.passwordHash = await d.passwords.hash(input.password);
    // As in createUser: the name may have been taken while the hash was made.
    if (patch.username && d.meta.users.byUsername(patch.username)) throw new ApiError('bad-request', 'User already exists');
  }
  const now = d.clock();
  const updated = d.meta.users.update(id, patch, now);
  if (!updated) throw new ApiError('not-found');
  if (patch.passwordHash) d.meta.tokens.revokeAllOf(id, now, id === p.user.id ? p.tokenHash : undefined);
  return updated;
}

/**
 * Umami's POST /api/me/password: the caller's own password, given the current one (400 `Current
 * password is incorrect` otherwise). Their other sessions end, as on any password change.
 */
export async function changeOwnPassword(d: AccountsDeps, p: Principal, currentPassword: string, newPassword: string): Promise<UserRecord> {
  const u = d.meta.users.byId(p.user.id);
  if (!u) throw new ApiError('unauthorized');
  if (!(await d.passwords.verify(currentPassword, u.passwordHash))) throw new ApiError('bad-request', 'Current password is incorrect');
  return updateUser(d, p, p.user.id, { password: newPassword });
}

export function deleteUser(d: AccountsDeps, p: Principal, id: string): void {
  if (!canDeleteUser(p)) throw new ApiError('unauthorized');
  if (id === p.user.id) throw new ApiError('bad-request', 'You cannot delete yourself.');
  if (!d.meta.users.delete(id, d.clock())) throw new ApiError('not-found');
}
