/** @module User management (Umami's rules): list, create, get, update, delete; admin only except reading and re-passwording oneself. */
import { ApiError } from '../lib/api-error.ts';
import type { PageQuery, Page, UserRecord, UserRole } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { canCreateUser, canDeleteUser, canListUsers, canUpdateUser, canViewUser } from './permissions.ts';
import { currentPrincipal } from './authenticate.ts';
import { unlessTaken } from './unless-taken.ts';
import { requireSession, type Principal } from './principal.ts';
import type { LoginDeps } from './login.ts';

export function listUsers(d: AccountsDeps, p: Principal, q: PageQuery): Page<UserRecord> {
  if (!canListUsers(p)) throw new ApiError('unauthorized');
  return d.meta.users.list(q);
}

export async function createUser(
  d: AccountsDeps,
  p: Principal,
  input: { id?: string; username: string; password: string; role?: UserRole },
): Promise<UserRecord> {
  const check = (who: Principal) => {
    if (!canCreateUser(who)) throw new ApiError('unauthorized');
    requireSession(who, 'create users');
    if (d.meta.users.byUsername(input.username) || (input.id && d.meta.users.byId(input.id))) throw new ApiError('bad-request', 'User already exists');
  };
  check(p);
  const passwordHash = await d.passwords.hash(input.password);
  // Asked again once the hash is made (~100 ms of waiting): the caller may have been deleted,
  // demoted or logged out meanwhile, and another request may have taken the name or id (the
  // insert would then fail on the unique index, a 500).
  check(callerNow(d, p));
  // An id may belong to a deleted user (ids are never reused), which the checks above, about live
  // users, do not see.
  return unlessTaken(() => d.meta.users.create({ id: input.id ?? crypto.randomUUID(), username: input.username, passwordHash, role: input.role ?? 'user' }, d.clock()), 'User already exists');
}

/** The caller as it stands after a wait, or 401 when their session, key or account ended meanwhile. */
function callerNow(d: AccountsDeps, p: Principal): Principal {
  const now = currentPrincipal(d.meta, p, d.clock());
  if (!now) throw new ApiError('unauthorized');
  return now;
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
 * With a password, everything is decided again once its hash is made, from the caller and the
 * user as they are then; `passwordWas` (a change that proved the current password) also requires
 * that no other change landed meanwhile.
 */
export async function updateUser(
  d: AccountsDeps,
  p: Principal,
  id: string,
  input: { username?: string; password?: string; role?: UserRole },
  passwordWas?: string,
): Promise<UserRecord> {
  const plan = (who: Principal) => {
    if (!canUpdateUser(who, id)) throw new ApiError('unauthorized');
    if (input.password) requireSession(who, 'set a password');
    const u = d.meta.users.byId(id);
    if (!u) throw new ApiError('not-found');
    if (who.isAdmin && input.role && input.role !== u.role) requireSession(who, 'change a role');
    if (passwordWas !== undefined && u.passwordHash !== passwordWas) throw new ApiError('bad-request', 'Current password is incorrect');
    const patch: { username?: string; passwordHash?: string; role?: UserRole } = {};
    if (who.isAdmin && input.role) patch.role = input.role;
    if (who.isAdmin && input.username && input.username !== u.username) {
      if (d.meta.users.byUsername(input.username)) throw new ApiError('bad-request', 'User already exists');
      patch.username = input.username;
    }
    if (who.isAdmin && id === who.user.id && patch.role && patch.role !== 'admin') throw new ApiError('bad-request', 'You cannot remove your own admin role.');
    return patch;
  };
  let patch = plan(p);
  let who = p;
  if (input.password) {
    const passwordHash = await d.passwords.hash(input.password);
    who = callerNow(d, p);
    patch = { ...plan(who), passwordHash };
  }
  const now = d.clock();
  // One transaction: a new password and the end of the other sessions land together or not at
  // all (a full disk between them had left the sessions a stolen password opened alive, the
  // change answered 503 though made).
  return d.meta.transaction(() => {
    const updated = d.meta.users.update(id, patch, now);
    if (!updated) throw new ApiError('not-found');
    if (patch.passwordHash) d.meta.tokens.revokeAllOf(id, now, id === who.user.id ? who.tokenHash : undefined);
    return updated;
  });
}

/**
 * Umami's POST /api/me/password: the caller's own password, given the current one (400 `Current
 * password is incorrect` otherwise, also when another change landed while it was checked). Their
 * other sessions end, as on any password change.
 */
export async function changeOwnPassword(d: LoginDeps, p: Principal, currentPassword: string, newPassword: string, ip: string): Promise<UserRecord> {
  requireSession(p, 'set a password');
  const u = d.meta.users.byId(p.user.id);
  if (!u) throw new ApiError('unauthorized');
  // A wrong current password is a wrong login: the same buckets, so a stolen session cannot find
  // out the password (to try elsewhere) faster than the login form would let it.
  const verdict = d.throttle.attempt(ip, u.username);
  if (!verdict.allowed) throw new ApiError('too-many-requests', 'Too many wrong passwords; try again later.', {}, { 'retry-after': String(verdict.retryAfterS) });
  try {
    if (!(await d.passwords.verify(currentPassword, u.passwordHash))) {
      d.throttle.fail(verdict.ticket);
      throw new ApiError('bad-request', 'Current password is incorrect');
    }
    d.throttle.succeed(verdict.ticket);
  } finally {
    d.throttle.release(verdict.ticket);
  }
  return updateUser(d, callerNow(d, p), p.user.id, { password: newPassword }, u.passwordHash);
}

export function deleteUser(d: AccountsDeps, p: Principal, id: string): void {
  if (!canDeleteUser(p)) throw new ApiError('unauthorized');
  if (id === p.user.id) throw new ApiError('bad-request', 'You cannot delete yourself.');
  if (!d.meta.users.delete(id, d.clock())) throw new ApiError('not-found');
}
