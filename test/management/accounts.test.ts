import { describe, expect, it } from 'bun:test';
import { PASSWORD } from '../helpers/accounts-fixture.ts';
import { json, get, world } from '../helpers/management.ts';

describe('users', () => {
  it('refuses a taken user name with 400 and deleting oneself with 400', async () => {
    const { request, w } = await world();
    expect((await request('/api/users', json('POST', { username: 'owner', password: 'long enough' }, w.auth.admin))).status).toBe(400);
    expect((await request(`/api/users/${w.ids.admin}`, { method: 'DELETE', headers: { authorization: w.auth.admin! } })).status).toBe(400);
  });

  it('answers 400, never 500, to requests that take one user name or id at the same time: the first wins', async () => {
    const { request, w } = await world();
    const create = (body: Record<string, unknown>) => request('/api/users', json('POST', { password: 'long enough', ...body }, w.auth.admin));
    const sameName = await Promise.all(Array.from({ length: 6 }, () => create({ username: 'race' })));
    expect(sameName.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    const id = crypto.randomUUID();
    const sameId = await Promise.all(Array.from({ length: 4 }, (_, i) => create({ id, username: `race-id-${i}` })));
    expect(sameId.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => create({ username: `renamed-${i}` })));
    const ids = (await Promise.all(others.map((r) => r.json()))) as { id: string }[];
    const renames = await Promise.all(ids.map((u) => request(`/api/users/${u.id}`, json('POST', { username: 'renamed-same', password: 'another long one' }, w.auth.admin))));
    expect(renames.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
    // A deleted user's id is not given out again either.
    const gone = ids[0]!.id;
    expect((await request(`/api/users/${gone}`, { method: 'DELETE', headers: { authorization: w.auth.admin! } })).status).toBe(200);
    const again = await create({ id: gone, username: 'reborn' });
    expect([again.status, ((await again.json()) as { error: { message: string } }).error.message]).toEqual([400, 'User already exists']);
  });

  it("ignores a non-admin's attempt to change their own role", async () => {
    const { request, w } = await world();
    const res = await request(`/api/users/${w.ids.owner}`, json('POST', { role: 'admin' }, w.auth.owner));
    expect(((await res.json()) as { role: string }).role).toBe('user');
  });

  it("deleting a user takes their websites, owned teams, sessions and keys with them", async () => {
    const { request, w, meta } = await world();
    expect((await request(`/api/users/${w.ids.owner}`, { method: 'DELETE', headers: { authorization: w.auth.admin! } })).status).toBe(200);
    expect((await request('/api/me', get(w.auth.apiKey))).status).toBe(401);
    expect(meta.websites.byId(w.ownWebsiteId)).toBeNull();
    expect((await request(`/api/users/${w.ids.teamOwner}`, { method: 'DELETE', headers: { authorization: w.auth.admin! } })).status).toBe(200);
    expect(meta.teams.byId(w.teamId)).toBeNull();
    expect(meta.websites.byId(w.teamWebsiteId)).toBeNull();
    expect((await request(`/api/teams/${w.teamId}`, get(w.auth.admin))).status).toBe(404);
    // The name is free again.
    expect((await request('/api/users', json('POST', { username: 'owner', password: 'long enough' }, w.auth.admin))).status).toBe(200);
  });
});

describe('websites and teams', () => {
  it('lists newest first with Umami paging, and a search where % and _ are literal', async () => {
    const { request, w, clock } = await world();
    for (let i = 0; i < 25; i++) {
      clock.advance(1000);
      await request('/api/websites', json('POST', { name: i === 7 ? 'Shop 100%' : `Site_${i}` }, w.auth.other));
    }
    const page = (await (await request('/api/websites?page=2&pageSize=10', get(w.auth.other))).json()) as { data: { name: string }[]; count: number; page: number; pageSize: number };
    expect(page.count).toBe(25);
    expect(page.page).toBe(2);
    expect(page.pageSize).toBe(10);
    expect(page.data.map((x) => x.name)).toEqual([14, 13, 12, 11, 10, 9, 8, 'Shop 100%', 6, 5].map((n) => (typeof n === 'number' ? `Site_${n}` : n)));
    const pct = (await (await request('/api/websites?search=%25', get(w.auth.other))).json()) as { data: { name: string }[]; count: number; search: string };
    expect(pct.data.map((x) => x.name)).toEqual(['Shop 100%']);
    expect(pct.search).toBe('%');
    const under = (await (await request('/api/websites?search=E_2', get(w.auth.other))).json()) as { count: number };
    expect(under.count).toBe(6); // Site_2, Site_20…Site_24, case-insensitive, "_" not a wildcard
  });

  it('gives every website a write key, and rotating it retires the old one at once', async () => {
    const { request, w, meta } = await world();
    const site = (await (await request('/api/websites', json('POST', { name: 'Keyed', domain: 'keyed.example' }, w.auth.owner))).json()) as { id: string; writeKey: string };
    expect(meta.websites.byWriteKey(site.writeKey)).toEqual({ id: site.id });
    const rotated = (await (await request(`/api/websites/${site.id}/write-key`, { method: 'POST', headers: { authorization: w.auth.owner! } })).json()) as { writeKey: string };
    expect(rotated.writeKey).not.toBe(site.writeKey);
    expect(meta.websites.byWriteKey(site.writeKey)).toBeNull();
    expect(meta.websites.byWriteKey(rotated.writeKey)).toEqual({ id: site.id });
  });

  it('registers and retires domains with no restart, telling listeners each time', async () => {
    const { request, w, meta } = await world();
    let calls = 0;
    meta.onWebsitesChanged(() => calls++);
    const site = (await (await request('/api/websites', json('POST', { name: 'A', domain: 'a.example' }, w.auth.owner))).json()) as { id: string };
    expect(meta.websites.domains().map((w) => w.domain)).toContain('a.example');
    await request(`/api/websites/${site.id}`, json('POST', { domain: 'b.example' }, w.auth.owner));
    expect(meta.websites.domains().map((w) => w.domain)).toContain('b.example');
    expect(meta.websites.domains().map((w) => w.domain)).not.toContain('a.example');
    await request(`/api/websites/${site.id}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } });
    expect(meta.websites.domains().map((w) => w.domain)).not.toContain('b.example');
    expect(calls).toBe(3);
  });

  it('hides a deleted website (404) but lets an admin still export its events', async () => {
    const { request, w } = await world();
    await request(`/api/websites/${w.ownWebsiteId}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } });
    expect((await request(`/api/websites/${w.ownWebsiteId}`, get(w.auth.owner))).status).toBe(404);
    expect((await request(`/api/websites/${w.ownWebsiteId}/export`, get(w.auth.owner))).status).toBe(404);
    const exported = await request(`/api/websites/${w.ownWebsiteId}/export`, get(w.auth.admin));
    expect(exported.status).toBe(200);
    // A streamed answer carries Umami's /api/* headers too.
    expect(exported.headers.get('access-control-allow-origin')).toBe('*');
    expect(exported.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a share id that is taken with 400', async () => {
    const { request, w } = await world();
    expect((await request('/api/websites', json('POST', { name: 'A', shareId: 'abcdefgh' }, w.auth.owner))).status).toBe(200);
    const res = await request('/api/websites', json('POST', { name: 'B', shareId: 'abcdefgh' }, w.auth.owner));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('That share ID is already taken.');
  });

  it("refuses a domain another owner's live website has (www. or not, any case, as a URL), and one that is no host name, on create and update", async () => {
    const { request, w, meta } = await world();
    const message = async (res: Response) => [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    const taken = [400, 'That domain is already used by another website.'];
    const first = (await (await request('/api/websites', json('POST', { name: 'Shop', domain: 'shop.example' }, w.auth.owner))).json()) as { id: string };
    // Another user first of all: the Prisme API would count the shop's visits under the older website.
    for (const domain of ['shop.example', 'SHOP.example', 'www.shop.example', 'https://shop.example:8443/cart'])
      expect(await message(await request('/api/websites', json('POST', { name: 'Squat', domain }, w.auth.other)))).toEqual(taken);
    // Nor a subdomain of it: its pages would count under the closer domain, the other user's.
    expect(await message(await request('/api/websites', json('POST', { name: 'Blog', domain: 'blog.shop.example' }, w.auth.other)))).toEqual([400, "That domain is under another owner's website."]);
    const second = (await (await request('/api/websites', json('POST', { name: 'Blog', domain: 'blog.elsewhere.example' }, w.auth.other))).json()) as { id: string };
    expect(await message(await request(`/api/websites/${second.id}`, json('POST', { domain: 'www.shop.example' }, w.auth.other)))).toEqual(taken);
    // What covers no page under it blocks nothing: a single label, an address's tail.
    for (const domain of ['com', 'localhost', '0.1']) expect((await request('/api/websites', json('POST', { name: domain, domain }, w.auth.other))).status).toBe(200);
    for (const domain of ['shop.com', 'app.localhost', '10.0.0.1']) expect([domain, (await request('/api/websites', json('POST', { name: domain, domain }, w.auth.owner))).status]).toEqual([domain, 200]);
    // Its owner may put a subdomain under it, and a parent of another's domain is no one's (its own pages stay its own).
    expect((await request('/api/websites', json('POST', { name: 'Shop blog', domain: 'blog.shop.example' }, w.auth.owner))).status).toBe(200);
    expect((await request('/api/websites', json('POST', { name: 'Parent', domain: 'elsewhere.example' }, w.auth.owner))).status).toBe(200);
    expect(await message(await request('/api/websites', json('POST', { name: 'Bad', domain: 'not a host' }, w.auth.other)))).toEqual([400, 'That domain is not a host name (example.com or www.example.com).']);
    // A website from before the rules whose domain is no host name stays editable with it resent.
    meta.websites.update(first.id, { domain: 'My Website' }, Date.now());
    expect((await request(`/api/websites/${first.id}`, json('POST', { name: 'Shop', domain: 'My Website' }, w.auth.owner))).status).toBe(200);
    meta.websites.update(first.id, { domain: 'shop.example' }, Date.now());
    // Two owners' websites sharing a domain from before the rule (the fixture's site.example): both stay editable with it.
    for (const [id, auth] of [[w.ownWebsiteId, w.auth.owner], [w.teamWebsiteId, w.auth.teamOwner]] as const)
      expect((await request(`/api/websites/${id}`, json('POST', { name: 'Renamed', domain: 'site.example' }, auth))).status).toBe(200);
    // A website keeps its own domain on update; its owner may give another website the domain; a deleted one frees it.
    expect((await request(`/api/websites/${first.id}`, json('POST', { name: 'Shop 2', domain: 'www.shop.example' }, w.auth.owner))).status).toBe(200);
    const twin = (await (await request('/api/websites', json('POST', { name: 'Shop app', domain: 'shop.example' }, w.auth.owner))).json()) as { id: string };
    expect(twin.id).toEqual(expect.any(String));
    await request(`/api/websites/${twin.id}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } });
    await request(`/api/websites/${first.id}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } });
    expect((await request('/api/websites', json('POST', { name: 'Shop again', domain: 'shop.example' }, w.auth.other))).status).toBe(200);
  });

  it("answers a new team as Umami does, [team, membership], and takes another owner (ownerId) from an admin only", async () => {
    const { request, w } = await world();
    const [own, membership] = (await (await request('/api/teams', json('POST', { name: 'Mine' }, w.auth.owner))).json()) as [{ id: string }, { teamId: string; userId: string; role: string }];
    expect(membership).toMatchObject({ teamId: own.id, userId: w.ids.owner, role: 'team-owner' });
    const [, forOther] = (await (await request('/api/teams', json('POST', { name: 'For other', ownerId: w.ids.other }, w.auth.admin))).json()) as [{ id: string }, { userId: string; role: string }];
    expect(forOther).toMatchObject({ userId: w.ids.other, role: 'team-owner' });
    expect((await request('/api/teams', json('POST', { name: 'Sneaky', ownerId: w.ids.other }, w.auth.owner))).status).toBe(401);
    const unknown = await request('/api/teams', json('POST', { name: 'Nobody', ownerId: '7d4f0c1e-0000-4000-8000-000000000000' }, w.auth.admin));
    expect([unknown.status, ((await unknown.json()) as { error: { message: string } }).error.message]).toEqual([400, 'ownerId: no such user']);
  });

  it('makes a team creator its team-owner and lets others join by access code as team-member', async () => {
    const { request, w } = await world();
    const [team] = (await (await request('/api/teams', json('POST', { name: 'Growth' }, w.auth.owner))).json()) as [{ id: string; accessCode: string }];
    expect(team.accessCode).toMatch(/^team_[0-9A-Za-z]{16}$/);
    const joined = (await (await request('/api/teams/join', json('POST', { accessCode: team.accessCode }, w.auth.other))).json()) as { role: string };
    expect(joined.role).toBe('team-member');
    const full = (await (await request(`/api/teams/${team.id}`, get(w.auth.other))).json()) as { members: { role: string; user: { username: string } }[] };
    expect(full.members.map((m) => `${m.user.username}:${m.role}`).sort()).toEqual(['other:team-member', 'owner:team-owner']);
    const unknown = await request('/api/teams/join', json('POST', { accessCode: 'team_doesnotexist00' }, w.auth.other));
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: { message: 'Team not found.', code: 'team-not-found', status: 404 } }]);
    const gone = await request('/api/teams/7d4f0c1e-0000-4000-8000-000000000000', { headers: { authorization: w.auth.admin! } });
    expect([gone.status, await gone.json()]).toEqual([404, { error: { message: 'Team not found.', code: 'not-found', status: 404 } }]);
  });

  it("answers 400, not 500, to an access code a deleted team had, and the deleted team's code joins nobody", async () => {
    const { request, w } = await world();
    const [gone] = (await (await request('/api/teams', json('POST', { name: 'Gone' }, w.auth.owner))).json()) as [{ id: string; accessCode: string }];
    expect((await request(`/api/teams/${gone.id}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } })).status).toBe(200);
    const res = await request(`/api/teams/${w.teamId}`, json('POST', { accessCode: gone.accessCode }, w.auth.teamOwner));
    expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([400, 'That access code is already taken.']);
    expect((await request('/api/teams/join', json('POST', { accessCode: gone.accessCode }, w.auth.other))).status).toBe(404);
  });

  it("shows a team's access code to its owner, managers and admins only, in the team, the team list and /api/me/teams", async () => {
    const { request, w } = await world();
    const codes = async (auth: string | undefined) => {
      const one = ((await (await request(`/api/teams/${w.teamId}`, get(auth))).json()) as { accessCode: string | null }).accessCode;
      const listed = ((await (await request('/api/teams', get(auth))).json()) as { data: { id: string; accessCode: string | null }[] }).data.find((t) => t.id === w.teamId)?.accessCode;
      const mine = ((await (await request('/api/me/teams', get(auth))).json()) as { data: { id: string; accessCode: string | null }[] }).data.find((t) => t.id === w.teamId)?.accessCode;
      return [one, listed, mine];
    };
    for (const who of ['teamOwner', 'teamManager'] as const) expect(await codes(w.auth[who])).toEqual([w.accessCode, w.accessCode, w.accessCode]);
    // A view-only member who saw it could leave and join again as team-member.
    for (const who of ['teamMember', 'teamViewOnly'] as const) expect(await codes(w.auth[who])).toEqual([null, null, null]);
    expect(((await (await request(`/api/teams/${w.teamId}`, get(w.auth.admin))).json()) as { accessCode: string }).accessCode).toBe(w.accessCode);
  });

  it('throttles wrong access codes per caller: the sixth try in a burst gets 429, even with the right code, until the bucket refills', async () => {
    const { request, w, clock } = await world();
    for (let i = 0; i < 5; i++) expect((await request('/api/teams/join', json('POST', { accessCode: `guess${i}` }, w.auth.other))).status).toBe(404);
    const held = await request('/api/teams/join', json('POST', { accessCode: w.accessCode }, w.auth.other));
    expect([held.status, held.headers.get('retry-after')]).toEqual([429, '180']);
    // Another caller is not held by these failures.
    expect((await request('/api/teams/join', json('POST', { accessCode: w.accessCode }, w.auth.owner))).status).toBe(200);
    clock.advance(180_000);
    expect((await request('/api/teams/join', json('POST', { accessCode: w.accessCode }, w.auth.other))).status).toBe(200);
  });

  it('charges no join try for a lookup the database failed', async () => {
    const { request, meta, w } = await world();
    const byAccessCode = meta.teams.byAccessCode.bind(meta.teams);
    let failing = 5;
    meta.teams.byAccessCode = (code: string) => {
      if (failing-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return byAccessCode(code);
    };
    for (let i = 0; i < 5; i++) expect((await request('/api/teams/join', json('POST', { accessCode: w.accessCode }, w.auth.other))).status).toBe(503);
    expect((await request('/api/teams/join', json('POST', { accessCode: w.accessCode }, w.auth.other))).status).toBe(200);
  });

  it('counts wrong access codes apart from wrong passwords: 20 wrong codes from one address leave its logins alone', async () => {
    const { request, w } = await world();
    for (const who of ['owner', 'other', 'teamMember', 'admin'] as const)
      for (let i = 0; i < 5; i++) expect((await request('/api/teams/join', json('POST', { accessCode: `guess${i}` }, w.auth[who]))).status).toBe(404);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(200);
  });

  it('rejects an export range that ends before it starts', async () => {
    const { request, w } = await world();
    expect((await request(`/api/websites/${w.ownWebsiteId}/export?startAt=2000&endAt=1000`, get(w.auth.owner))).status).toBe(400);
  });
});
