/** @module Umami's roles and what each may do: role → permission list, and the membership test. Pure. */
import type { TeamRole, UserRole } from '../store/meta-store.ts';

export const USER_ROLES = ['admin', 'user', 'view-only'] as const satisfies readonly UserRole[];
export const TEAM_ROLES = ['team-owner', 'team-manager', 'team-member', 'team-view-only'] as const satisfies readonly TeamRole[];
/** Roles a member can be given through the API; `team-owner` is only ever set when a team is created (Umami's `teamRoleParam`). */
export const ASSIGNABLE_TEAM_ROLES = ['team-manager', 'team-member', 'team-view-only'] as const satisfies readonly TeamRole[];

export type Permission =
  | 'all'
  | 'website:create'
  | 'website:update'
  | 'website:delete'
  | 'website:transfer-to-team'
  | 'website:transfer-to-user'
  | 'team:create'
  | 'team:update'
  | 'team:delete';

/** Umami's ROLE_PERMISSIONS (src/lib/constants.ts), global and team roles in one table. */
export const ROLE_PERMISSIONS: Record<UserRole | TeamRole, readonly Permission[]> = {
  admin: ['all'],
  user: ['website:create', 'website:update', 'website:delete', 'team:create'],
  'view-only': [],
  'team-owner': ['team:update', 'team:delete', 'website:create', 'website:update', 'website:delete', 'website:transfer-to-team', 'website:transfer-to-user'],
  'team-manager': ['team:update', 'website:create', 'website:update', 'website:delete', 'website:transfer-to-team'],
  'team-member': ['website:create', 'website:update', 'website:delete'],
  'team-view-only': [],
};

export function hasPermission(role: UserRole | TeamRole | null | undefined, permission: Permission): boolean {
  return role != null && ROLE_PERMISSIONS[role].includes(permission);
}
