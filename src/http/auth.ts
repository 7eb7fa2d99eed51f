/** @module Auth routes: POST /api/auth/login, GET|POST /api/auth/verify, POST /api/auth/logout. */
import { Elysia, t } from 'elysia';
import { login, logout } from '../accounts/login.ts';
import { errorResponses } from './errors.ts';
import { BEARER, requestIp, requirePrincipal, requireSessionPrincipal, umamiJsonBody, type ManagementContext } from './management-context.ts';
import { Ok, User, userJson, Username } from './management-schemas.ts';
import type { UserRecord } from '../store/meta-store.ts';

/** How many of a user's teams the login and verify answers list. */
const MAX_LOGIN_TEAMS = 1000;
const LoginTeam = t.Object({ id: t.String({ format: 'uuid' }), name: t.String(), logoUrl: t.Union([t.String(), t.Null()]) });
/** The user as Umami's login and verify answer it: with the teams they are in (id, name, logo), which its UI and API client read. */
const UserWithTeams = t.Composite([User, t.Object({ teams: t.Array(LoginTeam, { description: `The teams the user is in (at most ${MAX_LOGIN_TEAMS})` }) })]);

export function authRoutes(ctx: ManagementContext) {
  const withTeams = (user: UserRecord) => ({
    ...userJson(user),
    teams: ctx.meta.teams.listForUser(user.id, { page: 1, pageSize: MAX_LOGIN_TEAMS }).data.map((x) => ({ id: x.id, name: x.name, logoUrl: x.logoUrl })),
  });
  const verified = ({ headers }: { headers: Record<string, string | undefined> }) =>
    withTeams(ctx.meta.users.byId(requireSessionPrincipal(ctx, headers.authorization, 'verify a login').user.id)!);
  const verify = {
    detail: { summary: 'The user behind the login token', description: 'An API key gets 401, as Umami refuses keys on /api/auth/*.', tags: ['Auth'], security: BEARER },
    response: { 200: UserWithTeams, ...errorResponses(401) },
  };
  return new Elysia()
    .post(
      '/api/auth/login',
      async ({ body, server, request }) => {
        const r = await login(ctx, body.username, body.password, requestIp(ctx, server, request));
        return { token: r.token, user: withTeams(r.user) };
      },
      {
        parse: umamiJsonBody,
        body: t.Object(
          { username: Username, password: t.String({ maxLength: 255 }) },
          { examples: [{ username: 'admin', password: 'correct horse battery staple' }] },
        ),
        detail: {
          summary: 'Log in: a login token for `Authorization: Bearer`',
          description:
            'Tokens last 7 days unless revoked by logout or a password change. Failed logins are throttled (429 with Retry-After) per ' +
            'user name from one client address (5 in 15 minutes), per address (20) and per user name from all addresses (100; not for an ' +
            'address the name logged in from before). A wrong name or password: 401 with code `incorrect-username-password`, as Umami answers.',
          tags: ['Auth'],
        },
        response: {
          200: t.Object({ token: t.String({ description: 'Send as `Authorization: Bearer <token>`' }), user: UserWithTeams }),
          ...errorResponses(400, 401, 413, 429),
        },
      },
    )
    .get('/api/auth/verify', verified, verify)
    .post('/api/auth/verify', verified, verify)
    .post(
      '/api/auth/logout',
      ({ headers }) => {
        logout(ctx, requirePrincipal(ctx, headers.authorization));
        return { ok: true as const };
      },
      {
        detail: {
          summary: 'Log out: revokes the login token used',
          description: 'An API key is not a session: logging out with one gets 401, naming `DELETE /api/api-keys/{keyId}`, which revokes it.',
          tags: ['Auth'],
          security: BEARER,
        },
        response: { 200: Ok, ...errorResponses(400, 401) },
      },
    );
}
