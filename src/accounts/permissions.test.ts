import { describe, expect, it } from 'bun:test';
import type { UserRole } from '../store/meta-store.ts';
import { canCreateOwned, canDeleteOwned, canRemoveTeamMember, canSetTeamMemberRole, canUpdateOwned, canViewOwned } from './permissions.ts';
import type { Principal } from './principal.ts';

const who = (id: string, role: UserRole = 'user'): Principal => ({ user: { id, username: id, role }, isAdmin: role === 'admin', via: 'token' });
const mine = { userId: 'u1', teamId: null };
const teams = { userId: null, teamId: 't1' };

describe('permission rules', () => {
  it('lets the owner and admins, and nobody else, see and change a personal website', () => {
    for (const f of [canViewOwned, canUpdateOwned, canDeleteOwned]) {
      expect(f(who('u1'), mine, null)).toBe(true);
      expect(f(who('a', 'admin'), mine, null)).toBe(true);
      expect(f(who('u2'), mine, 'team-owner')).toBe(false);
    }
  });

  it('lets any team member view a team website but only members with website rights change it', () => {
    expect(canViewOwned(who('u2'), teams, 'team-view-only')).toBe(true);
    expect(canViewOwned(who('u2'), teams, null)).toBe(false);
    expect(canUpdateOwned(who('u2'), teams, 'team-view-only')).toBe(false);
    expect(canDeleteOwned(who('u2'), teams, 'team-member')).toBe(true);
  });

  it('never lets a view-only user create, even as a team owner', () => {
    expect(canCreateOwned(who('v', 'view-only'), null, null)).toBe(false);
    expect(canCreateOwned(who('v', 'view-only'), 't1', 'team-owner')).toBe(false);
    expect(canCreateOwned(who('u'), 't1', 'team-view-only')).toBe(false);
    expect(canCreateOwned(who('u'), 't1', 'team-member')).toBe(true);
    expect(canCreateOwned(who('a', 'admin'), 't1', null)).toBe(true);
  });

  it('lets a member leave a team on their own', () => {
    expect(canRemoveTeamMember(who('u3'), 'team-view-only', 'u3', 'team-view-only')).toBe(true);
    expect(canRemoveTeamMember(who('u3'), 'team-view-only', 'u4', 'team-member')).toBe(false);
  });

  it("lets no team-manager remove or demote the team's owner (Umami does, and the manager takes the team); the owner and admins can", () => {
    expect(canRemoveTeamMember(who('m'), 'team-manager', 'o', 'team-owner')).toBe(false);
    expect(canSetTeamMemberRole(who('m'), 'team-manager', 'o', 'team-owner')).toBe(false);
    expect(canRemoveTeamMember(who('m'), 'team-manager', 'x', 'team-member')).toBe(true);
    expect(canSetTeamMemberRole(who('m'), 'team-manager', 'x', 'team-manager')).toBe(true);
    expect(canRemoveTeamMember(who('o'), 'team-owner', 'o', 'team-owner')).toBe(true);
    expect(canRemoveTeamMember(who('a', 'admin'), null, 'o', 'team-owner')).toBe(true);
    expect(canSetTeamMemberRole(who('a', 'admin'), null, 'o', 'team-owner')).toBe(true);
    // A member cannot raise their own role.
    expect(canSetTeamMemberRole(who('x'), 'team-member', 'x', 'team-member')).toBe(false);
  });
});
