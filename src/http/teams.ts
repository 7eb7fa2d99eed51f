/** @module Team routes (Umami-shaped): teams, join by access code, members, and a team's websites. */
import { Elysia, t } from 'elysia';
import {
  addMember, createTeam, deleteTeam, getMember, getTeam, joinTeam, listMembers, listTeams, removeMember, seesAccessCode, setMemberRole, updateTeam,
} from '../accounts/teams.ts';
import { listTeamWebsites } from '../accounts/websites.ts';
import { errorResponses } from './errors.ts';
import { staticRouteOtherMethod } from './umami-api-headers.ts';
import { BEARER, requestIp, requirePrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { AssignableTeamRoleSchema, Member, memberJson, Ok, PagedOf, PagingQuery, Team, teamJson, TeamUser, teamUserJson, TeamWithMembers, UuidIn, UuidParam, Website, websiteJson, pagedList } from './management-schemas.ts';

const TeamParams = UuidParam('teamId');
const MemberParams = t.Object({ teamId: UuidIn(), userId: UuidIn() });
const TeamName = t.String({ minLength: 1, maxLength: 50, examples: ['Marketing'] });
const AccessCode = t.String({ minLength: 1, maxLength: 50, examples: ['team_3fR9kQ2mZx7LbN1c'] });

export function teamRoutes(ctx: ManagementContext) {
  const me = (h: string | undefined) => requirePrincipal(ctx, h);
  return new Elysia()
    .get('/api/teams', ({ headers, query, request }) => {
      const p = me(headers.authorization);
      return pagedList(request, query, (page, q) => listTeams(ctx, p, page, q.all ?? false), (team) => teamJson(team, seesAccessCode(ctx, p, team.id)));
    }, {
      query: t.Composite([PagingQuery, t.Object({ all: t.Optional(t.Boolean({ description: 'Every team (admin only)' })) })]),
      detail: { summary: "The caller's teams (admins: every team with all=true)", tags: ['Teams'], security: BEARER },
      response: { 200: PagedOf(Team), ...errorResponses(400, 401) },
    })
    .post('/api/teams', ({ headers, body }) => {
      const { team, owner } = createTeam(ctx, me(headers.authorization), body.name, body.ownerId);
      return [teamJson(team, true), teamUserJson(owner)];
    }, {
      parse: umamiJsonBody,
      body: t.Object({ name: TeamName, ownerId: t.Optional(t.String({ format: 'uuid', description: 'Who becomes its team-owner (admins only; the caller by default)' })) }, { examples: [{ name: 'Marketing' }] }),
      detail: {
        summary: 'Create a team (the caller, or for an admin `ownerId`, becomes its team-owner)',
        description: "As Umami answers it: the team and the owner's membership, in a two-element array (`[team, teamUser]`). Umami takes `ownerId` from anyone who may create teams; here only from an admin (401 otherwise).",
        tags: ['Teams'],
        security: BEARER,
      },
      response: { 200: t.Tuple([Team, TeamUser]), ...errorResponses(400, 401, 413) },
    })
    .post('/api/teams/join', ({ headers, body, request, server }) => memberJson(joinTeam(ctx, me(headers.authorization), body.accessCode, { ip: requestIp(ctx, server, request), throttle: ctx.joinThrottle })), {
      parse: umamiJsonBody,
      body: t.Object({ accessCode: AccessCode }),
      detail: {
        summary: 'Join a team by its access code (as team-member)',
        description: 'Wrong codes are throttled as wrong passwords are: 5 per caller from one address, refilling over 15 minutes (429 with Retry-After).',
        tags: ['Teams'],
        security: BEARER,
      },
      response: { 200: Member, ...errorResponses(400, 401, 404, 413, 429) },
    })
    // Next.js routes /api/teams/join (a static route) before /api/teams/[teamId], so the methods
    // only the latter has get 405 there; without these a GET or DELETE reached /api/teams/:teamId
    // (400 Invalid UUID). Hidden, they are left out of the Allow lists (routeMethods) too.
    .get('/api/teams/join', () => staticRouteOtherMethod(['POST']), { parse: 'none', detail: { hide: true } })
    .delete('/api/teams/join', () => staticRouteOtherMethod(['POST']), { parse: 'none', detail: { hide: true } })
    .get(
      '/api/teams/:teamId',
      ({ headers, params }) => {
        const p = me(headers.authorization);
        const r = getTeam(ctx, p, params.teamId);
        return { ...teamJson(r.team, seesAccessCode(ctx, p, r.team.id)), members: r.members.map(memberJson) };
      },
      {
        params: TeamParams,
        detail: { summary: 'Get a team with its members (members and admins)', tags: ['Teams'], security: BEARER },
        response: { 200: TeamWithMembers, ...errorResponses(400, 401, 404) },
      },
    )
    .post('/api/teams/:teamId', ({ headers, params, body }) => teamJson(updateTeam(ctx, me(headers.authorization), params.teamId, body), true), {
      parse: umamiJsonBody,
      params: TeamParams,
      body: t.Object({ name: t.Optional(TeamName), accessCode: t.Optional(AccessCode) }, { examples: [{ name: 'Growth' }] }),
      detail: { summary: 'Update a team (team-owner, team-manager, admin)', tags: ['Teams'], security: BEARER },
      response: { 200: Team, ...errorResponses(400, 401, 404, 413) },
    })
    .delete(
      '/api/teams/:teamId',
      ({ headers, params }) => {
        deleteTeam(ctx, me(headers.authorization), params.teamId);
        return { ok: true as const };
      },
      {
        params: TeamParams,
        detail: { summary: "Delete a team and its websites (team-owner, admin); its pixels keep counting, as in Umami, and events are kept", tags: ['Teams'], security: BEARER },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    )
    .get('/api/teams/:teamId/users', ({ headers, params, query, request }) => pagedList(request, query, (page) => listMembers(ctx, me(headers.authorization), params.teamId, page), memberJson), {
      params: TeamParams,
      query: PagingQuery,
      detail: { summary: "A team's members (members and admins; for an admin, a team that is gone lists what it left)", tags: ['Teams'], security: BEARER },
      response: { 200: PagedOf(Member), ...errorResponses(400, 401) },
    })
    .post(
      '/api/teams/:teamId/users',
      ({ headers, params, body }) => memberJson(addMember(ctx, me(headers.authorization), params.teamId, body.userId, body.role)),
      {
        parse: umamiJsonBody,
        params: TeamParams,
        // A user that exists: read as a path id is (a user made by an earlier release may have any hex id), not as a new record's id.
        body: t.Object({ userId: UuidIn(), role: AssignableTeamRoleSchema }),
        detail: { summary: 'Add a member (team-owner, team-manager, admin; others join with the access code)', tags: ['Teams'], security: BEARER },
        response: { 200: Member, ...errorResponses(400, 401, 404, 413) },
      },
    )
    .get('/api/teams/:teamId/users/:userId', ({ headers, params }) => memberJson(getMember(ctx, me(headers.authorization), params.teamId, params.userId)), {
      params: MemberParams,
      detail: { summary: 'Get a membership (team-owner, team-manager, admin)', tags: ['Teams'], security: BEARER },
      response: { 200: Member, ...errorResponses(400, 401, 404) },
    })
    .post(
      '/api/teams/:teamId/users/:userId',
      ({ headers, params, body }) => memberJson(setMemberRole(ctx, me(headers.authorization), params.teamId, params.userId, body.role)),
      {
        parse: umamiJsonBody,
        params: MemberParams,
        body: t.Object({ role: AssignableTeamRoleSchema }, { examples: [{ role: 'team-manager' }] }),
        detail: { summary: "Change a member's role (team-owner, team-manager, admin)", tags: ['Teams'], security: BEARER },
        response: { 200: Member, ...errorResponses(400, 401, 404, 413) },
      },
    )
    .delete(
      '/api/teams/:teamId/users/:userId',
      ({ headers, params }) => {
        removeMember(ctx, me(headers.authorization), params.teamId, params.userId);
        return { ok: true as const };
      },
      {
        params: MemberParams,
        detail: { summary: 'Remove a member (team-owner, team-manager, admin, or the member leaving)', tags: ['Teams'], security: BEARER },
        response: { 200: Ok, ...errorResponses(400, 401, 404) },
      },
    )
    .get(
      '/api/teams/:teamId/websites',
      ({ headers, params, query, request }) => pagedList(request, query, (page) => listTeamWebsites(ctx, me(headers.authorization), params.teamId, page), websiteJson),
      {
        params: TeamParams,
        query: PagingQuery,
        detail: { summary: "A team's websites (members and admins; for an admin, a team that is gone lists what it left)", tags: ['Websites'], security: BEARER },
        response: { 200: PagedOf(Website), ...errorResponses(400, 401) },
      },
    );
}
