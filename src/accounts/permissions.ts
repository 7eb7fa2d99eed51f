/**
 * @module Umami's permission rules (src/permissions) as pure functions: (principal, owner, caller's team role) → allowed.
 * Callers look up the record and the caller's role in its team first; these functions do no I/O.
 * Websites and pixels share the "owned" rules, as in Umami.
 */
import type { TeamRole } from '../store/meta-store.ts';
import { hasPermission } from './roles.ts';
import type { Principal } from './principal.ts';

/** A website or pixel: owned by a user, or by a team. */
export interface Owned {
  userId: string | null;
  teamId: string | null;
}

/** Admin; the owning user; or any member of the owning team. */
export function canViewOwned(p: Principal, o: Owned, teamRole: TeamRole | null): boolean {
  if (p.isAdmin) return true;
  if (o.userId) return p.user.id === o.userId;
  if (o.teamId) return teamRole !== null;
  return false;
}

function canChangeOwned(p: Principal, o: Owned, teamRole: TeamRole | null, perm: 'website:update' | 'website:delete'): boolean {
  if (p.isAdmin) return true;
  if (o.userId) return p.user.id === o.userId;
  if (o.teamId) return hasPermission(teamRole, perm);
  return false;
}

/** Admin; the owning user; or a team member whose role has `website:update`. */
export function canUpdateOwned(p: Principal, o: Owned, teamRole: TeamRole | null): boolean {
  return canChangeOwned(p, o, teamRole, 'website:update');
}

/** Admin; the owning user; or a team member whose role has `website:delete`. */
export function canDeleteOwned(p: Principal, o: Owned, teamRole: TeamRole | null): boolean {
  return canChangeOwned(p, o, teamRole, 'website:delete');
}

/**
 * Umami's website (and pixel) create rule: for a team, admin or a member whose role has
 * `website:create`; and in every case admin or a global role with `website:create` (so
 * `view-only` users never create).
 */
export function canCreateOwned(p: Principal, teamId: string | null, teamRole: TeamRole | null): boolean {
  if (teamId && !(p.isAdmin || hasPermission(teamRole, 'website:create'))) return false;
  return p.isAdmin || hasPermission(p.user.role, 'website:create');
}

export function canViewTeam(p: Principal, teamRole: TeamRole | null): boolean {
  return p.isAdmin || teamRole !== null;
}

/** Admins and users with `team:create` (Umami ≥ 3.1's canCreateTeam): a view-only user cannot create or join a team. */
export function canCreateTeam(p: Principal): boolean {
  return p.isAdmin || hasPermission(p.user.role, 'team:create');
}

export function canUpdateTeam(p: Principal, teamRole: TeamRole | null): boolean {
  return p.isAdmin || hasPermission(teamRole, 'team:update');
}

export function canDeleteTeam(p: Principal, teamRole: TeamRole | null): boolean {
  return p.isAdmin || hasPermission(teamRole, 'team:delete');
}

/** Adding a member directly: as Umami's POST /api/teams/:teamId/users, whoever may update the team (admin, team-owner, team-manager). */
export function canAddTeamMember(p: Principal, teamRole: TeamRole | null): boolean {
  return canUpdateTeam(p, teamRole);
}

/**
 * Admin; the member acting on themself; or a member whose role has `team:update` — but not against
 * the team's owner. Umami lets a team-manager remove or demote the owner (team:update covers every
 * member), and no role can make anyone owner again: the manager takes the team. (Who passes here
 * still cannot remove or demote the owner: teams.ts keeps the owner's membership, with a 400.)
 */
function canChangeTeamMember(p: Principal, teamRole: TeamRole | null, targetUserId: string, targetRole: TeamRole | null): boolean {
  if (p.isAdmin || targetUserId === p.user.id) return true;
  return targetRole !== 'team-owner' && hasPermission(teamRole, 'team:update');
}

/** Leaving is open to every member; removing someone else follows canChangeTeamMember. */
export function canRemoveTeamMember(p: Principal, teamRole: TeamRole | null, removeUserId: string, removeRole: TeamRole | null): boolean {
  return canChangeTeamMember(p, teamRole, removeUserId, removeRole);
}

/** A role change: as canChangeTeamMember, for a member whose role has `team:update` (one cannot promote oneself). */
export function canSetTeamMemberRole(p: Principal, teamRole: TeamRole | null, targetUserId: string, targetRole: TeamRole | null): boolean {
  return canUpdateTeam(p, teamRole) && canChangeTeamMember(p, teamRole, targetUserId, targetRole);
}

export function canListUsers(p: Principal): boolean {
  return p.isAdmin;
}

export function canCreateUser(p: Principal): boolean {
  return p.isAdmin;
}

export function canViewUser(p: Principal, userId: string): boolean {
  return p.isAdmin || p.user.id === userId;
}

/** Admin, or users changing themselves (password only: role and name are admin-only fields). */
export function canUpdateUser(p: Principal, userId: string): boolean {
  return p.isAdmin || p.user.id === userId;
}

export function canDeleteUser(p: Principal): boolean {
  return p.isAdmin;
}
