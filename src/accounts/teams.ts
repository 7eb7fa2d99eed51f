/** @module Teams and members (Umami's rules): create (creator becomes team-owner), list, get, update, delete, join by code, members. */
import { ApiError } from '../lib/api-error.ts';
import type { MemberRecord, Page, PageQuery, TeamRecord, TeamRole } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import {
  canAddTeamMember, canCreateTeam, canDeleteTeam, canRemoveTeamMember, canSetTeamMemberRole, canUpdateTeam, canViewTeam,
} from './permissions.ts';
import type { Principal } from './principal.ts';
import { newAccessCode } from './secrets.ts';
import { unlessTaken } from './unless-taken.ts';
import type { LoginThrottle } from './login-throttle.ts';

/**
 * The team, or 404 `Team not found.` (Umami's words). Called after the permission check, as
 * Umami checks: a caller who is not a member gets 401 whether the team exists or not; only an
 * admin learns that it does not.
 */
function liveTeam(d: AccountsDeps, teamId: string): TeamRecord {
  const team = d.meta.teams.byId(teamId);
  if (!team) throw new ApiError('not-found', 'Team not found.');
  return team;
}

/** The team the caller may view (its member, or an admin): 401 first, then 404, as Umami. */
export function viewableTeam(d: AccountsDeps, p: Principal, teamId: string): TeamRecord {
  if (!canViewTeam(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized');
  return liveTeam(d, teamId);
}

/**
 * Whether the caller may list a team's websites, pixels or members (its member, or an admin):
 * Umami's list routes check only that, so an admin listing a team that is gone gets what it
 * left (a deleted team's pixels stay) or an empty page, not 404; others get 401.
 */
export function mayListTeam(d: AccountsDeps, p: Principal, teamId: string, message?: string): void {
  if (!canViewTeam(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized', message);
}

function roleIn(d: AccountsDeps, p: Principal, teamId: string): TeamRole | null {
  return d.meta.members.roleOf(teamId, p.user.id);
}

/** The caller's teams; with `all` (admins only) every team. */
export function listTeams(d: AccountsDeps, p: Principal, q: PageQuery, all = false): Page<TeamRecord> {
  if (all && !p.isAdmin) throw new ApiError('unauthorized');
  return all ? d.meta.teams.list(q) : d.meta.teams.listForUser(p.user.id, q);
}

/**
 * `ownerId`: who becomes the team-owner (Umami's body field; the caller by default). Only an admin
 * may name another user (Umami lets any team creator do it, which makes teams for others).
 */
export function createTeam(d: AccountsDeps, p: Principal, name: string, ownerId: string = p.user.id): { team: TeamRecord; owner: MemberRecord } {
  if (!canCreateTeam(p)) throw new ApiError('unauthorized');
  if (ownerId !== p.user.id) {
    if (!p.isAdmin) throw new ApiError('unauthorized');
    if (!d.meta.users.byId(ownerId)) throw new ApiError('bad-request', 'ownerId: no such user');
  }
  const team = d.meta.teams.create({ id: crypto.randomUUID(), name, accessCode: newAccessCode() }, ownerId, d.clock());
  return { team, owner: d.meta.members.get(team.id, ownerId)! };
}

/**
 * Whether the caller sees a team's access code: those who may add members (its owner, a manager,
 * an admin). Umami shows it to every member, so a team-view-only member could leave and join
 * again as team-member with it, or pass it on.
 */
export function seesAccessCode(d: AccountsDeps, p: Principal, teamId: string): boolean {
  return canUpdateTeam(p, roleIn(d, p, teamId));
}

export function getTeam(d: AccountsDeps, p: Principal, teamId: string): { team: TeamRecord; members: MemberRecord[] } {
  const team = viewableTeam(d, p, teamId);
  return { team, members: d.meta.members.list(teamId, { page: 1, pageSize: 1000 }).data };
}

export function updateTeam(d: AccountsDeps, p: Principal, teamId: string, patch: { name?: string; accessCode?: string }): TeamRecord {
  if (!canUpdateTeam(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  if (patch.accessCode) {
    const other = d.meta.teams.byAccessCode(patch.accessCode);
    if (other && other.id !== teamId) throw new ApiError('bad-request', 'That access code is already taken.');
  }
  // A deleted team's code is still held by its row, which the check above (live teams) does not see.
  const team = unlessTaken(() => d.meta.teams.update(teamId, patch, d.clock()), 'That access code is already taken.');
  if (!team) throw new ApiError('not-found');
  return team;
}

export function deleteTeam(d: AccountsDeps, p: Principal, teamId: string): void {
  if (!canDeleteTeam(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  d.meta.teams.delete(teamId, d.clock());
}

/** Counts a caller's wrong access codes (a LoginThrottle of its own: per caller and client, per client, per caller). */
export type JoinThrottle = Pick<LoginThrottle, 'attempt' | 'fail' | 'release'>;

/**
 * Any signed-in user with the code joins as `team-member`. Wrong codes are throttled as wrong
 * passwords are (per caller and client address): a code an owner set may be short.
 */
export function joinTeam(d: AccountsDeps, p: Principal, accessCode: string, client?: { ip: string; throttle: JoinThrottle }): MemberRecord {
  if (!canCreateTeam(p)) throw new ApiError('unauthorized');
  const verdict = client?.throttle.attempt(client.ip, p.user.id);
  if (verdict && !verdict.allowed)
    throw new ApiError('too-many-requests', 'Too many wrong access codes; try again later.', {}, { 'retry-after': String(verdict.retryAfterS) });
  let team: TeamRecord | null;
  try {
    team = d.meta.teams.byAccessCode(accessCode);
    if (!team && verdict) client!.throttle.fail(verdict.ticket);
  } finally {
    // Found, or the lookup threw: nothing charged (after fail this does nothing).
    if (verdict) client!.throttle.release(verdict.ticket);
  }
  if (!team) throw new ApiError('not-found', 'Team not found.', { code: 'team-not-found' });
  if (d.meta.members.get(team.id, p.user.id)) throw new ApiError('bad-request', 'User is already a team member.');
  return d.meta.members.add(team.id, p.user.id, 'team-member', d.clock());
}

export function listMembers(d: AccountsDeps, p: Principal, teamId: string, q: PageQuery): Page<MemberRecord> {
  mayListTeam(d, p, teamId, 'You must be a member of this team.');
  return d.meta.members.list(teamId, q);
}

export function addMember(d: AccountsDeps, p: Principal, teamId: string, userId: string, role: TeamRole): MemberRecord {
  if (!canAddTeamMember(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  if (!d.meta.users.byId(userId)) throw new ApiError('not-found', 'User not found.');
  if (d.meta.members.get(teamId, userId)) throw new ApiError('bad-request', 'User is already a member of the Team.');
  return d.meta.members.add(teamId, userId, role, d.clock());
}

export function getMember(d: AccountsDeps, p: Principal, teamId: string, userId: string): MemberRecord {
  if (!canUpdateTeam(p, roleIn(d, p, teamId))) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  const m = d.meta.members.get(teamId, userId);
  if (!m) throw new ApiError('not-found');
  return m;
}

/**
 * No role makes anyone a team's owner again (Umami's schema has none to give), so the owner's
 * membership is not removed or changed, by themself or an admin: the team would be left with no
 * one able to delete it but an admin. Umami allows both.
 */
function keepOwner(targetRole: TeamRole | null): void {
  if (targetRole === 'team-owner') throw new ApiError('bad-request', "A team's owner stays its owner: delete the team instead.");
}

export function setMemberRole(d: AccountsDeps, p: Principal, teamId: string, userId: string, role: TeamRole): MemberRecord {
  const targetRole = d.meta.members.roleOf(teamId, userId);
  if (!canSetTeamMemberRole(p, roleIn(d, p, teamId), userId, targetRole)) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  keepOwner(targetRole);
  const m = d.meta.members.setRole(teamId, userId, role, d.clock());
  if (!m) throw new ApiError('not-found', 'The User does not exists on this team.');
  return m;
}

export function removeMember(d: AccountsDeps, p: Principal, teamId: string, userId: string): void {
  const targetRole = d.meta.members.roleOf(teamId, userId);
  if (!canRemoveTeamMember(p, roleIn(d, p, teamId), userId, targetRole)) throw new ApiError('unauthorized');
  liveTeam(d, teamId);
  keepOwner(targetRole);
  if (!d.meta.members.remove(teamId, userId)) throw new ApiError('not-found', 'The User does not exists on this team.');
}
