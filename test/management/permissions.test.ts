import { describe, expect, it } from 'bun:test';
import { testApp } from '../helpers/test-app.ts';
import { ACTORS, accountsWorld, type Actor, type AccountsWorld } from '../helpers/accounts-fixture.ts';

type Expect = Partial<Record<Actor, number>>;

/** Every signed-in actor gets `ok`; anonymous, revoked and expired tokens get 401. */
const anySignedIn = (ok: number, over: Expect = {}): Expect => ({
  admin: ok, owner: ok, other: ok, viewOnly: ok, teamOwner: ok, teamManager: ok, teamMember: ok, teamViewOnly: ok, apiKey: ok, ...over,
});
/** Only the listed actors get their status; every other actor gets 401. */
const only = (ok: number, ...who: Actor[]): Expect => Object.fromEntries(who.map((a) => [a, ok]));
const TEAM = ['teamOwner', 'teamManager', 'teamMember', 'teamViewOnly'] as const;
/** Admin, the website's owner, and the owner's API key. */
const OWNER = ['admin', 'owner', 'apiKey'] as const;

interface Row {
  method: string;
  path: (w: AccountsWorld) => string;
  body?: (w: AccountsWorld) => unknown;
  expect: Expect;
}

const UNKNOWN = '7d4f0c1e-0000-4000-8000-000000000000';

const ROWS: Row[] = [
  // As Umami's, no API key on /api/auth/* (nor on /api/users/*, /api/me/password, /api/me/api-keys):
  // a key is no session, and logging out with it is refused (it stays valid until revoked).
  { method: 'GET', path: () => '/api/auth/verify', expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'POST', path: () => '/api/auth/verify', expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'POST', path: () => '/api/auth/logout', expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'GET', path: () => '/api/me', expect: anySignedIn(200) },
  { method: 'GET', path: () => '/api/me/websites', expect: anySignedIn(200) },
  { method: 'GET', path: () => '/api/me/teams', expect: anySignedIn(200) },

  { method: 'GET', path: () => '/api/api-keys', expect: anySignedIn(200) },
  { method: 'GET', path: () => '/api/me/api-keys', expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'POST', path: () => '/api/me/api-keys', body: () => ({ name: 'k' }), expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'DELETE', path: (w) => `/api/me/api-keys/${w.apiKeyId}`, expect: anySignedIn(404, { owner: 200, apiKey: 401 }) },
  // A key makes no keys (a leaked one would outlive its revocation through them).
  { method: 'POST', path: () => '/api/api-keys', body: () => ({ name: 'k' }), expect: anySignedIn(200, { apiKey: 401 }) },
  { method: 'DELETE', path: (w) => `/api/api-keys/${w.apiKeyId}`, expect: anySignedIn(401, only(200, ...OWNER)) },
  { method: 'DELETE', path: () => `/api/api-keys/${UNKNOWN}`, expect: anySignedIn(404) },

  { method: 'GET', path: () => '/api/users', expect: only(200, 'admin') },
  { method: 'POST', path: () => '/api/users', body: () => ({ username: 'new', password: 'long enough password' }), expect: only(200, 'admin') },
  { method: 'GET', path: (w) => `/api/users/${w.ids.owner}`, expect: only(200, 'admin', 'owner') },
  // Its own user's password only with a login token (a leaked key would become the account).
  { method: 'POST', path: (w) => `/api/users/${w.ids.owner}`, body: () => ({ password: 'another long password' }), expect: only(200, 'admin', 'owner') },
  { method: 'DELETE', path: (w) => `/api/users/${w.ids.other}`, expect: only(200, 'admin') },
  { method: 'GET', path: () => `/api/users/${UNKNOWN}`, expect: only(404, 'admin') },

  { method: 'GET', path: () => '/api/teams', expect: anySignedIn(200) },
  // view-only users lack team:create (Umami ≥ 3.1): they neither create nor join teams.
  { method: 'POST', path: () => '/api/teams', body: () => ({ name: 'New team' }), expect: anySignedIn(200, { viewOnly: 401 }) },
  { method: 'POST', path: () => '/api/teams/join', body: (w) => ({ accessCode: w.accessCode }), expect: anySignedIn(200, { ...only(400, ...TEAM), viewOnly: 401 }) },
  { method: 'GET', path: (w) => `/api/teams/${w.teamId}`, expect: only(200, 'admin', ...TEAM) },
  { method: 'POST', path: (w) => `/api/teams/${w.teamId}`, body: () => ({ name: 'Renamed' }), expect: only(200, 'admin', 'teamOwner', 'teamManager') },
  { method: 'DELETE', path: (w) => `/api/teams/${w.teamId}`, expect: only(200, 'admin', 'teamOwner') },
  // An unknown team: 401 to whoever could not see it if it existed (Umami checks permission first), 404 to an admin.
  { method: 'GET', path: () => `/api/teams/${UNKNOWN}`, expect: only(404, 'admin') },
  // A team's lists check only who may view it (Umami's canViewTeam): an admin gets an empty page.
  { method: 'GET', path: () => `/api/teams/${UNKNOWN}/websites`, expect: only(200, 'admin') },
  { method: 'GET', path: () => `/api/teams/${UNKNOWN}/users`, expect: only(200, 'admin') },
  { method: 'POST', path: () => '/api/websites', body: () => ({ name: 'New', teamId: UNKNOWN }), expect: only(404, 'admin') },
  { method: 'GET', path: (w) => `/api/teams/${w.teamId}/users`, expect: only(200, 'admin', ...TEAM) },
  // Umami's POST /api/teams/:teamId/users checks canUpdateTeam: owners and managers add members.
  { method: 'POST', path: (w) => `/api/teams/${w.teamId}/users`, body: (w) => ({ userId: w.ids.other, role: 'team-member' }), expect: only(200, 'admin', 'teamOwner', 'teamManager') },
  { method: 'GET', path: (w) => `/api/teams/${w.teamId}/users/${w.ids.teamMember}`, expect: only(200, 'admin', 'teamOwner', 'teamManager') },
  { method: 'POST', path: (w) => `/api/teams/${w.teamId}/users/${w.ids.teamMember}`, body: () => ({ role: 'team-view-only' }), expect: only(200, 'admin', 'teamOwner', 'teamManager') },
  { method: 'DELETE', path: (w) => `/api/teams/${w.teamId}/users/${w.ids.teamMember}`, expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  // The owner stays the owner: nobody may remove or demote them (a manager may not even try: 401), as no role
  // could make anyone owner again (Umami lets a manager, the owner and an admin do both).
  { method: 'POST', path: (w) => `/api/teams/${w.teamId}/users/${w.ids.teamOwner}`, body: () => ({ role: 'team-member' }), expect: only(400, 'admin', 'teamOwner') },
  { method: 'DELETE', path: (w) => `/api/teams/${w.teamId}/users/${w.ids.teamOwner}`, expect: only(400, 'admin', 'teamOwner') },
  { method: 'GET', path: (w) => `/api/teams/${w.teamId}/websites`, expect: only(200, 'admin', ...TEAM) },

  { method: 'GET', path: () => '/api/websites', expect: anySignedIn(200) },
  { method: 'POST', path: () => '/api/websites', body: () => ({ name: 'New', domain: 'new.example' }), expect: anySignedIn(200, { viewOnly: 401 }) },
  { method: 'POST', path: () => '/api/websites', body: (w) => ({ name: 'New', teamId: w.teamId }), expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'GET', path: (w) => `/api/websites/${w.ownWebsiteId}`, expect: only(200, ...OWNER) },
  { method: 'POST', path: (w) => `/api/websites/${w.ownWebsiteId}`, body: () => ({ name: 'Renamed' }), expect: only(200, ...OWNER) },
  { method: 'DELETE', path: (w) => `/api/websites/${w.ownWebsiteId}`, expect: only(200, ...OWNER) },
  { method: 'POST', path: (w) => `/api/websites/${w.ownWebsiteId}/write-key`, expect: only(200, ...OWNER) },
  { method: 'GET', path: (w) => `/api/websites/${w.ownWebsiteId}/export`, expect: only(200, ...OWNER) },
  { method: 'GET', path: (w) => `/api/websites/${w.teamWebsiteId}`, expect: only(200, 'admin', ...TEAM) },
  { method: 'POST', path: (w) => `/api/websites/${w.teamWebsiteId}`, body: () => ({ name: 'Renamed' }), expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'DELETE', path: (w) => `/api/websites/${w.teamWebsiteId}`, expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'POST', path: (w) => `/api/websites/${w.teamWebsiteId}/write-key`, expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'GET', path: (w) => `/api/websites/${w.teamWebsiteId}/export?format=csv`, expect: only(200, 'admin', ...TEAM) },
  { method: 'GET', path: () => `/api/websites/${UNKNOWN}`, expect: anySignedIn(404) },
  { method: 'DELETE', path: () => `/api/websites/${UNKNOWN}`, expect: anySignedIn(404) },
  { method: 'GET', path: () => `/api/websites/${UNKNOWN}/export`, expect: anySignedIn(404) },

  // Pixels: the same "owned" rules as websites (Umami's permissions reuse them).
  { method: 'GET', path: () => '/api/pixels', expect: anySignedIn(200) },
  { method: 'POST', path: () => '/api/pixels', body: () => ({ name: 'New', slug: 'newpixel1' }), expect: anySignedIn(200, { viewOnly: 401 }) },
  { method: 'POST', path: () => '/api/pixels', body: (w) => ({ name: 'New', slug: 'newpixel1', teamId: w.teamId }), expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'GET', path: (w) => `/api/pixels/${w.ownPixelId}`, expect: only(200, ...OWNER) },
  { method: 'POST', path: (w) => `/api/pixels/${w.ownPixelId}`, body: () => ({ name: 'Renamed' }), expect: only(200, ...OWNER) },
  { method: 'DELETE', path: (w) => `/api/pixels/${w.ownPixelId}`, expect: only(200, ...OWNER) },
  { method: 'GET', path: (w) => `/api/pixels/${w.ownPixelId}/export`, expect: only(200, ...OWNER) },
  { method: 'GET', path: (w) => `/api/pixels/${w.teamPixelId}`, expect: only(200, 'admin', ...TEAM) },
  { method: 'POST', path: (w) => `/api/pixels/${w.teamPixelId}`, body: () => ({ slug: 'renamed-team' }), expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'DELETE', path: (w) => `/api/pixels/${w.teamPixelId}`, expect: only(200, 'admin', 'teamOwner', 'teamManager', 'teamMember') },
  { method: 'GET', path: (w) => `/api/pixels/${w.teamPixelId}/export?format=csv`, expect: only(200, 'admin', ...TEAM) },
  { method: 'GET', path: (w) => `/api/teams/${w.teamId}/pixels`, expect: only(200, 'admin', ...TEAM) },
  { method: 'GET', path: () => `/api/teams/${UNKNOWN}/pixels`, expect: only(200, 'admin') },
  { method: 'POST', path: () => '/api/pixels', body: () => ({ name: 'New', slug: 'new-pixel-1', teamId: UNKNOWN }), expect: only(404, 'admin') },
  { method: 'GET', path: () => `/api/pixels/${UNKNOWN}`, expect: anySignedIn(404) },
  { method: 'POST', path: () => `/api/pixels/${UNKNOWN}`, body: () => ({ name: 'x' }), expect: anySignedIn(404) },
  { method: 'DELETE', path: () => `/api/pixels/${UNKNOWN}`, expect: anySignedIn(404) },
  { method: 'GET', path: () => `/api/pixels/${UNKNOWN}/export`, expect: anySignedIn(404) },
];

describe('the management API permission matrix', () => {
  it('answers every route × actor with the status Umami’s rules give (unlisted actors: 401)', async () => {
    const { request, meta, deps, clock, db } = testApp();
    const world = await accountsWorld(meta, deps.passwords!, clock);
    const got: string[] = [];
    const want: string[] = [];
    for (const row of ROWS) {
      for (const actor of ACTORS) {
        // Each cell runs on the same starting world: a savepoint rolled back after the request.
        db.exec('SAVEPOINT cell');
        try {
          const headers: Record<string, string> = {};
          if (world.auth[actor]) headers.authorization = world.auth[actor]!;
          const body = row.body?.(world);
          if (body !== undefined) headers['content-type'] = 'application/json';
          const res = await request(row.path(world), { method: row.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
          await res.arrayBuffer();
          const id = `${row.method} ${row.path(world).replaceAll(/[0-9a-f-]{36}/g, ':id')} as ${actor}`;
          got.push(`${id} → ${res.status}`);
          want.push(`${id} → ${row.expect[actor] ?? 401}`);
        } finally {
          db.exec('ROLLBACK TO cell');
          db.exec('RELEASE cell');
        }
      }
    }
    expect(got).toEqual(want);
    expect(got.length).toBe(ROWS.length * ACTORS.length);
  });
});
