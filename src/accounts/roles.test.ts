import { describe, expect, it } from 'bun:test';
import { AssignableTeamRoleSchema, TeamRoleSchema, UserRoleSchema } from '../http/management-schemas.ts';
import { ASSIGNABLE_TEAM_ROLES, hasPermission, TEAM_ROLES, USER_ROLES } from './roles.ts';

const literals = (s: { anyOf: { const: string }[] }) => s.anyOf.map((x) => x.const);

describe('roles', () => {
  it('has API schemas listing exactly the roles of roles.ts', () => {
    expect(literals(UserRoleSchema as never)).toEqual([...USER_ROLES]);
    expect(literals(TeamRoleSchema as never)).toEqual([...TEAM_ROLES]);
    expect(literals(AssignableTeamRoleSchema as never)).toEqual([...ASSIGNABLE_TEAM_ROLES]);
  });

  it("gives team roles Umami's permissions: only owners delete teams, view-only members change nothing", () => {
    expect(TEAM_ROLES.filter((r) => hasPermission(r, 'team:delete'))).toEqual(['team-owner']);
    expect(TEAM_ROLES.filter((r) => hasPermission(r, 'team:update'))).toEqual(['team-owner', 'team-manager']);
    expect(TEAM_ROLES.filter((r) => hasPermission(r, 'website:create'))).toEqual(['team-owner', 'team-manager', 'team-member']);
    expect(hasPermission('view-only', 'website:create')).toBe(false);
    expect(hasPermission(null, 'website:update')).toBe(false);
  });
});
