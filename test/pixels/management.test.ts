import { describe, expect, it } from 'bun:test';
import { pixelApp, type PixelJson } from '../helpers/pixels.ts';

const bad = (properties: Record<string, string[]>) => ({
  error: { message: 'Bad request', code: 'bad-request', status: 400, errors: [], properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, { errors: v }])) },
});
const SLUG_TAKEN = { error: { message: 'That slug is already taken.', code: 'bad-request', status: 400 } };
const NOT_FOUND = { error: { message: 'Not found', code: 'not-found', status: 404 } };

describe('pixels CRUD, modelled on the seed samples', () => {
  it('creates, gets, lists, updates and deletes a pixel with Umami’s bodies and key order', async () => {
    const { send, clock, w } = await pixelApp();
    const created = await send('POST', '/api/pixels', { name: 'Umami Pixel', slug: 'pixel123' });
    expect(created.status).toBe(200);
    const px = (await created.json()) as PixelJson;
    const t0 = new Date(clock()).toISOString();
    expect(Object.keys(px)).toEqual(['id', 'name', 'slug', 'userId', 'teamId', 'createdAt', 'updatedAt', 'deletedAt']);
    expect(px).toEqual({ id: px.id, name: 'Umami Pixel', slug: 'pixel123', userId: w.ids.owner, teamId: null, createdAt: t0, updatedAt: t0, deletedAt: null });
    expect(px.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(t0).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    expect(await (await send('GET', `/api/pixels/${px.id}`)).json()).toEqual(px);
    const list = (await (await send('GET', '/api/pixels')).json()) as Record<string, unknown>;
    expect(Object.keys(list)).toEqual(['data', 'count', 'page', 'pageSize']);
    expect(list).toEqual({ data: [px, expect.objectContaining({ slug: 'ownpixel1' })], count: 2, page: 1, pageSize: 20 });

    clock.advance(3 * 86_400_000 + 4321);
    const updated = (await (await send('POST', `/api/pixels/${px.id}`, { name: 'Umami Pixel', slug: 'abcde123' })).json()) as PixelJson;
    expect(updated).toEqual({ ...px, slug: 'abcde123', updatedAt: new Date(clock()).toISOString() });

    const del = await send('DELETE', `/api/pixels/${px.id}`);
    expect(await del.json()).toEqual({ ok: true });
    const gone = await send('GET', `/api/pixels/${px.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual(NOT_FOUND);
    expect(((await (await send('GET', '/api/pixels')).json()) as { count: number }).count).toBe(1);
    expect((await send('POST', `/api/pixels/${px.id}`, { name: 'x' })).status).toBe(404);
    expect((await send('DELETE', `/api/pixels/${px.id}`)).status).toBe(404);
  });

  it('keeps a client-supplied id, as Umami, and refuses one already used', async () => {
    const { send } = await pixelApp();
    const id = '5b0c4e4a-1d2f-4c3b-9a8e-7f6d5c4b3a21';
    expect(((await (await send('POST', '/api/pixels', { id, name: 'Mine', slug: 'mine-0001' })).json()) as PixelJson).id).toBe(id);
    const again = await send('POST', '/api/pixels', { id, name: 'Mine', slug: 'mine-0002' });
    expect(again.status).toBe(400);
  });

  it('leaves a deleted user’s and a deleted team’s pixels alone, as Umami: they keep recording and an admin still manages them', async () => {
    const { send, hit, stored, w } = await pixelApp();
    expect((await send('DELETE', `/api/users/${w.ids.owner}`, undefined, w.auth.admin)).status).toBe(200);
    expect((await send('DELETE', `/api/teams/${w.teamId}`, undefined, w.auth.admin)).status).toBe(200);
    for (const [slug, id] of [['ownpixel1', w.ownPixelId], ['teampixel1', w.teamPixelId]] as const) {
      expect((await hit(slug)).status).toBe(200);
      expect(await stored(id)).toHaveLength(1);
      const px = await send('GET', `/api/pixels/${id}`, undefined, w.auth.admin);
      expect(px.status).toBe(200);
      expect(((await px.json()) as PixelJson).deletedAt).toBeNull();
    }
    // The deleted team's list still holds its pixel for an admin (Umami's list checks only who may view it); its old members get 401.
    const left = await send('GET', `/api/teams/${w.teamId}/pixels`, undefined, w.auth.admin);
    expect(((await left.json()) as { data: PixelJson[]; count: number })).toMatchObject({ count: 1, data: [{ id: w.teamPixelId }] });
    expect((await send('GET', `/api/teams/${w.teamId}/pixels`, undefined, w.auth.teamMember)).status).toBe(401);
    const members = await send('GET', `/api/teams/${w.teamId}/users`, undefined, w.auth.teamMember);
    expect([members.status, ((await members.json()) as { error: { message: string } }).error.message]).toEqual([401, 'You must be a member of this team.']);
  });

  it('reads ids in any case as the same id, answering in lower case, as Umami’s uuid columns do', async () => {
    const { send, w } = await pixelApp();
    const upper = 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE';
    const px = (await (await send('POST', '/api/pixels', { id: upper, name: 'Caps', slug: 'caps-0001', teamId: w.teamId.toUpperCase() }, w.auth.teamMember)).json()) as PixelJson;
    expect([px.id, px.teamId]).toEqual([upper.toLowerCase(), w.teamId]);
    expect((await send('POST', '/api/pixels', { id: upper.toLowerCase(), name: 'Again', slug: 'caps-0002' })).status).toBe(400);
    expect((await send('GET', `/api/pixels/${upper}`, undefined, w.auth.teamMember)).status).toBe(200);
    expect((await send('GET', `/api/pixels/${w.ownPixelId.toUpperCase()}`)).status).toBe(200);
    expect((await send('GET', `/api/teams/${w.teamId.toUpperCase()}/pixels`, undefined, w.auth.teamMember)).status).toBe(200);
  });

  it('keeps a view-only user from creating a pixel in a team even as its team-member, as Umami (the global role must create too)', async () => {
    const { send, w } = await pixelApp();
    const added = await send('POST', `/api/teams/${w.teamId}/users`, { userId: w.ids.viewOnly, role: 'team-member' }, w.auth.teamOwner);
    expect(added.status).toBe(200);
    const refused = await send('POST', '/api/pixels', { name: 'Viewer pixel', slug: 'viewer-pixel-1', teamId: w.teamId }, w.auth.viewOnly);
    expect(refused.status).toBe(401);
    const teamList = (await (await send('GET', `/api/teams/${w.teamId}/pixels`, undefined, w.auth.viewOnly)).json()) as { data: PixelJson[] };
    expect(teamList.data.map((p) => p.slug)).not.toContain('viewer-pixel-1');
    expect((await send('POST', '/api/pixels', { name: 'Member pixel', slug: 'member-pixel-1', teamId: w.teamId }, w.auth.teamMember)).status).toBe(200);
  });

  it('takes as a client-given id every UUID zod takes: any version 1–8, the nil and the max UUID', async () => {
    const { send } = await pixelApp();
    const ids = ['0192f6a4-7b3c-7d2e-9f10-112233445566', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
    for (const [i, id] of ids.entries()) {
      const res = await send('POST', '/api/pixels', { id, name: `Id ${i}`, slug: `client-id-${i}` });
      expect([id, res.status]).toEqual([id, 200]);
      expect(((await res.json()) as PixelJson).id).toBe(id);
    }
  });

  it('changes only updatedAt for an empty update', async () => {
    const { send, clock, w } = await pixelApp();
    const before = (await (await send('GET', `/api/pixels/${w.ownPixelId}`)).json()) as PixelJson;
    clock.advance(1000);
    const after = (await (await send('POST', `/api/pixels/${w.ownPixelId}`, {})).json()) as PixelJson;
    expect(after).toEqual({ ...before, updatedAt: new Date(clock()).toISOString() });
  });

  it('puts a pixel created with teamId under the team, listed with the team and not as the creator’s own', async () => {
    const { send, w } = await pixelApp();
    const res = await send('POST', '/api/pixels', { name: 'Newsletter', slug: 'newsletter', teamId: w.teamId }, w.auth.teamMember);
    const px = (await res.json()) as PixelJson;
    expect({ userId: px.userId, teamId: px.teamId }).toEqual({ userId: null, teamId: w.teamId });
    const team = (await (await send('GET', `/api/teams/${w.teamId}/pixels`, undefined, w.auth.teamViewOnly)).json()) as { data: PixelJson[]; count: number };
    expect(team.data.map((p) => p.slug)).toEqual(['newsletter', 'teampixel1']);
    const own = (await (await send('GET', '/api/pixels', undefined, w.auth.teamMember)).json()) as { count: number };
    expect(own.count).toBe(0);
  });

  it('lists newest first with Umami paging, and a search on name or slug where % and _ are literal', async () => {
    const { send, clock, w } = await pixelApp();
    for (let i = 0; i < 25; i++) {
      clock.advance(1000);
      await send('POST', '/api/pixels', { name: i === 7 ? 'Open rate 100%' : `Mail_${i}`, slug: `slug-${String(i).padStart(4, '0')}` }, w.auth.other);
    }
    const page = (await (await send('GET', '/api/pixels?page=2&pageSize=10', undefined, w.auth.other)).json()) as { data: PixelJson[]; count: number; page: number; pageSize: number };
    expect({ count: page.count, page: page.page, pageSize: page.pageSize }).toEqual({ count: 25, page: 2, pageSize: 10 });
    expect(page.data.map((p) => p.name)).toEqual([14, 13, 12, 11, 10, 9, 8, 'Open rate 100%', 6, 5].map((n) => (typeof n === 'number' ? `Mail_${n}` : n)));
    const pct = (await (await send('GET', '/api/pixels?search=%25', undefined, w.auth.other)).json()) as { data: PixelJson[]; search: string };
    expect(pct.data.map((p) => p.name)).toEqual(['Open rate 100%']);
    expect(pct.search).toBe('%');
    const under = (await (await send('GET', '/api/pixels?search=L_2', undefined, w.auth.other)).json()) as { count: number };
    expect(under.count).toBe(6); // Mail_2, Mail_20…Mail_24: case-insensitive, "_" no wildcard
    const bySlug = (await (await send('GET', '/api/pixels?search=SLUG-0003', undefined, w.auth.other)).json()) as { data: PixelJson[] };
    expect(bySlug.data.map((p) => p.slug)).toEqual(['slug-0003']);
  });
});

describe("pixel validation: Umami's exact 400 bodies, before authentication", () => {
  const cases: [string, string, string, unknown, unknown][] = [
    ['a missing name', 'POST', '/api/pixels', { slug: 'pixel123' }, bad({ name: ['Invalid input: expected string, received undefined'] })],
    ['a name over 100 characters', 'POST', '/api/pixels', { name: 'n'.repeat(101), slug: 'pixel123' }, bad({ name: ['Too big: expected string to have <=100 characters'] })],
    ['a null name on update', 'POST', '/api/pixels/{own}', { name: null }, bad({ name: ['Invalid input: expected string, received null'] })],
    ['a missing slug', 'POST', '/api/pixels', { name: 'x' }, bad({ slug: ['Invalid input: expected string, received undefined'] })],
    ['a short slug', 'POST', '/api/pixels', { name: 'x', slug: 'pixel12' }, bad({ slug: ['Too small: expected string to have >=8 characters'] })],
    ['a short slug on update', 'POST', '/api/pixels/{own}', { slug: 'short' }, bad({ slug: ['Too small: expected string to have >=8 characters'] })],
    ['a slug over 100 characters', 'POST', '/api/pixels', { name: 'x', slug: 's'.repeat(101) }, bad({ slug: ['Too big: expected string to have <=100 characters'] })],
    ['a slug over 100 characters on update', 'POST', '/api/pixels/{own}', { slug: 's'.repeat(101) }, bad({ slug: ['Too big: expected string to have <=100 characters'] })],
    ['a slug with a bad character', 'POST', '/api/pixels', { name: 'x', slug: 'pixel 123' }, bad({ slug: ['Invalid string: must match pattern /^[A-Za-z0-9_-]+$/'] })],
    ['a slug with a slash on update', 'POST', '/api/pixels/{own}', { slug: 'pixel/123' }, bad({ slug: ['Invalid string: must match pattern /^[A-Za-z0-9_-]+$/'] })],
    ['a bad UUID in the path', 'GET', '/api/pixels/not-a-uuid', undefined, bad({ pixelId: ['Invalid UUID'] })],
    ['a bad UUID in the path of a delete', 'DELETE', '/api/pixels/not-a-uuid', undefined, bad({ pixelId: ['Invalid UUID'] })],
    ['a bad UUID as id', 'POST', '/api/pixels', { id: 'nope', name: 'x', slug: 'pixel123' }, bad({ id: ['Invalid UUID'] })],
    ['a bad UUID as teamId', 'POST', '/api/pixels', { teamId: 'nope', name: 'x', slug: 'pixel123' }, bad({ teamId: ['Invalid UUID'] })],
    // zod's z.uuid(): no urn: prefix, a version digit 1–8, the RFC 9562 variant.
    ['a urn:uuid: id', 'POST', '/api/pixels', { id: 'urn:uuid:11111111-2222-4333-8444-555555555555', name: 'x', slug: 'pixel123' }, bad({ id: ['Invalid UUID'] })],
    ['an id of another variant', 'POST', '/api/pixels', { id: '12345678-1234-1234-1234-123456789abc', name: 'x', slug: 'pixel123' }, bad({ id: ['Invalid UUID'] })],
    ['an id of version 0', 'POST', '/api/pixels', { id: '12345678-1234-0234-8234-123456789abc', name: 'x', slug: 'pixel123' }, bad({ id: ['Invalid UUID'] })],
    ['a urn:uuid: teamId', 'POST', '/api/pixels', { teamId: 'urn:uuid:11111111-2222-4333-8444-555555555555', name: 'x', slug: 'pixel123' }, bad({ teamId: ['Invalid UUID'] })],
    ['page=0', 'GET', '/api/pixels?page=0', undefined, bad({ page: ['Too small: expected number to be >0'] })],
    ['pageSize=abc', 'GET', '/api/pixels?pageSize=abc', undefined, bad({ pageSize: ['Invalid input: expected number, received NaN'] })],
    ['pageSize=1.5', 'GET', '/api/pixels?pageSize=1.5', undefined, bad({ pageSize: ['Invalid input: expected int, received number'] })],
    ['pageSize=1001', 'GET', '/api/pixels?pageSize=1001', undefined, bad({ pageSize: ['Too big: expected number to be <=1000'] })],
    // zod 4's .int() takes safe integers only.
    ['page beyond the safe integers', 'GET', '/api/pixels?page=99999999999999999999', undefined, bad({ page: ['Too big: expected int to be <=9007199254740991'] })],
    ['a team list with page=0', 'GET', '/api/teams/{team}/pixels?page=0', undefined, bad({ page: ['Too small: expected number to be >0'] })],
    // zod checks every field: both bad paging fields are named, in the schema's order.
    ['page=0 and pageSize=abc', 'GET', '/api/pixels?pageSize=abc&page=0', undefined, bad({ page: ['Too small: expected number to be >0'], pageSize: ['Invalid input: expected number, received NaN'] })],
    ['page=abc and pageSize=1.5', 'GET', '/api/pixels?page=abc&pageSize=1.5', undefined, bad({ page: ['Invalid input: expected number, received NaN'], pageSize: ['Invalid input: expected int, received number'] })],
    ['a team list with page=-1 and pageSize=1001', 'GET', '/api/teams/{team}/pixels?page=-1&pageSize=1001', undefined, bad({ page: ['Too small: expected number to be >0'], pageSize: ['Too big: expected number to be <=1000'] })],
    ['no body', 'POST', '/api/pixels', undefined, { error: { message: 'Bad request', code: 'bad-request', status: 400, errors: ['Invalid input: expected object, received undefined'] } }],
    ['an array body', 'POST', '/api/pixels', [1], { error: { message: 'Bad request', code: 'bad-request', status: 400, errors: ['Invalid input: expected object, received array'] } }],
  ];
  for (const [what, method, path, body, want] of cases) {
    it(`answers ${what} with Umami's body, signed in or not`, async () => {
      const { send, w } = await pixelApp();
      const p = path.replace('{own}', w.ownPixelId).replace('{team}', w.teamId);
      for (const auth of [undefined, w.auth.owner]) {
        const res = await send(method, p, body, auth ?? '');
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual(want);
      }
    });
  }

  it('reads a JSON body that starts with a byte-order mark, as request.json() does', async () => {
    const { request, w } = await pixelApp();
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify({ name: 'Bom', slug: 'bom-slug-1' }))]);
    const res = await request('/api/pixels', { method: 'POST', headers: { 'content-type': 'application/json', authorization: w.auth.owner! }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as PixelJson).slug).toBe('bom-slug-1');
  });

  it('takes a search of any length, as Umami', async () => {
    const { send, create } = await pixelApp();
    await create({ name: 'n'.repeat(100), slug: 'long-name-pixel' });
    const res = await send('GET', `/api/pixels?search=${'n'.repeat(100)}&x=${'y'.repeat(2000)}`);
    expect(res.status).toBe(200);
    const long = await send('GET', `/api/pixels?search=${'n'.repeat(5000)}`);
    expect([long.status, ((await long.json()) as { count: number }).count]).toEqual([200, 0]);
  });

  it('searches case-insensitively beyond ASCII, as PostgreSQL’s ILIKE, with % and _ still literal', async () => {
    const { send, create } = await pixelApp();
    await create({ name: 'ÄÖÜ Café', slug: 'umlaut-cafe' });
    await create({ name: 'Ελληνικά 50%_off', slug: 'greek-0001' });
    for (const [search, names] of [['CAFÉ', ['ÄÖÜ Café']], ['äöü', ['ÄÖÜ Café']], ['ΕΛΛΗΝ', ['Ελληνικά 50%_off']], ['λ 50%_', []], ['ά 50%_', ['Ελληνικά 50%_off']], ['café', ['ÄÖÜ Café']]] as const) {
      const list = (await (await send('GET', `/api/pixels?search=${encodeURIComponent(search)}&pageSize=1`)).json()) as { data: PixelJson[]; count: number; search: string };
      expect({ search: list.search, names: list.data.map((p) => p.name), count: list.count }).toEqual({ search, names: [...names], count: names.length });
      if (list.data[0]) expect(Object.keys(list.data[0])).toEqual(['id', 'name', 'slug', 'userId', 'teamId', 'createdAt', 'updatedAt', 'deletedAt']);
    }
  });

  it('reads the query as Umami does (WHATWG URLSearchParams): a bad escape does not keep the whole value from being decoded', async () => {
    const { send, create } = await pixelApp();
    await create({ name: '100% real', slug: 'hundred-real' });
    for (const [query, search, count] of [['100%%20real', '100% real', 1], ['%C3%BCn%ZZ', 'ün%ZZ', 0], ['%C3', '\ufffd', 0], ['a+b%2Bc', 'a b+c', 0]] as const) {
      const list = (await (await send('GET', `/api/pixels?search=${query}`)).json()) as { count: number; search: string };
      expect([query, list.search, list.count]).toEqual([query, search, count]);
    }
    // Paging fields too, the last of a repeated one.
    const paged = (await (await send('GET', '/api/pixels?pageSize=%31&page=2&page=1')).json()) as { page: number; pageSize: number; data: unknown[] };
    expect([paged.page, paged.pageSize, paged.data.length]).toEqual([1, 1, 1]);
  });

  it('matches a search term holding a NUL as a whole, not as what comes before it', async () => {
    const { send, create } = await pixelApp();
    await create({ name: 'Pixel 123', slug: 'pixel-0123' });
    await create({ name: 'Nul\u0000inside', slug: 'nul-inside' });
    for (const [search, names] of [['123\u0000nothing', []], ['abc\u0000', []], ['l\u0000in', ['Nul\u0000inside']]] as const) {
      const list = (await (await send('GET', `/api/pixels?search=${encodeURIComponent(search)}`)).json()) as { data: PixelJson[]; count: number };
      expect([search, list.data.map((p) => p.name), list.count]).toEqual([search, [...names], names.length]);
    }
  });

  it('answers an empty page, not an error, for a page far past the last row', async () => {
    const { send } = await pixelApp();
    // The largest page zod takes (its offset, ~9.0e18 rows with pageSize 1000, still fits a 64-bit integer).
    for (const q of ['page=9007199254740991', 'page=9007199254740991&pageSize=1000', 'page=3']) {
      const res = await send('GET', `/api/pixels?${q}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ data: [], count: 1 });
    }
  });

  it('refuses a taken slug with 400 on create and on update, and lets a pixel keep its own', async () => {
    const { send, w } = await pixelApp();
    const a = await send('POST', '/api/pixels', { name: 'Dup', slug: 'teampixel1' }, w.auth.other);
    expect(a.status).toBe(400);
    expect(await a.json()).toEqual(SLUG_TAKEN);
    const b = await send('POST', `/api/pixels/${w.ownPixelId}`, { slug: 'teampixel1' });
    expect(b.status).toBe(400);
    expect(await b.json()).toEqual(SLUG_TAKEN);
    expect((await send('POST', `/api/pixels/${w.ownPixelId}`, { slug: 'ownpixel1', name: 'Same slug' })).status).toBe(200);
  });

  it('treats slugs as case-sensitive, as upstream’s exact match', async () => {
    const { send } = await pixelApp();
    expect((await send('POST', '/api/pixels', { name: 'Upper', slug: 'OWNPIXEL1' })).status).toBe(200);
  });
});
