/**
 * Umami's own API client (`@umami/api-client`, generated from Umami's OpenAPI contract) pointed at
 * dist/footfall: pixels, teams, websites and API keys managed as an Umami user would script them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { UmamiClient, isUmamiApiError } from '@umami/api-client';
import { startBinary, type Running } from '../helpers/binary.ts';

const PASSWORD = 'umami-client-password';

/** What a rejected call threw, as Umami's client reports it. */
async function failure(call: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await call;
  } catch (e) {
    if (isUmamiApiError(e)) return { status: e.status, code: e.code ?? '', message: e.message };
    throw e;
  }
  throw new Error('the call succeeded');
}

let ff: Running;
let umami: UmamiClient;

/** A login token through the client (Umami's answer may also ask for a second factor, which Footfall never does). */
async function signIn(): Promise<string> {
  const r = await new UmamiClient({ baseUrl: `${ff.url}/api` }).login({ username: 'admin', password: PASSWORD });
  if (!('token' in r)) throw new Error('asked for a second factor');
  return r.token;
}

beforeAll(async () => {
  ff = await startBinary(['--flush-interval', '50ms'], { FOOTFALL_ADMIN_PASSWORD: PASSWORD });
  umami = new UmamiClient({ baseUrl: `${ff.url}/api`, token: await signIn() });
});
afterAll(async () => {
  await ff.stop();
});

describe("Umami's API client against dist/footfall", () => {
  it("refuses a wrong password with Umami's code", async () => {
    const wrong = new UmamiClient({ baseUrl: `${ff.url}/api` }).login({ username: 'admin', password: 'not the password' });
    expect(await failure(wrong)).toEqual({ status: 401, code: 'incorrect-username-password', message: 'Unauthorized' });
  });

  it('logs in, verifies the token and reads who is signed in and how', async () => {
    const me = await umami.getMe({});
    expect(me).toMatchObject({ authType: 'session', user: { username: 'admin', role: 'admin', isAdmin: true } });
    expect(await umami.verify({})).toMatchObject({ id: me.user!.id, username: 'admin' });
  });

  it('creates, lists, searches, renames and deletes a pixel, and its slug takes hits from the moment it is saved', async () => {
    const created = await umami.createPixel({ name: 'November newsletter', slug: 'newsletter-nov-2026' });
    expect(Object.keys(created)).toEqual(['id', 'name', 'slug', 'userId', 'teamId', 'createdAt', 'updatedAt', 'deletedAt']);
    expect(await umami.getPixel({ pixelId: created.id })).toEqual(created);
    const page = await umami.getPixels({ search: 'newsletter', page: 1, pageSize: 10 });
    expect(page).toMatchObject({ count: 1, page: 1, pageSize: 10, search: 'newsletter' });
    expect(page.data.map((p) => p.id)).toEqual([created.id]);

    const renamed = await umami.updatePixel({ pixelId: created.id, name: 'December newsletter', slug: 'newsletter-dec-2026' });
    expect(renamed).toMatchObject({ id: created.id, name: 'December newsletter', slug: 'newsletter-dec-2026' });
    const hit = await fetch(`${ff.url}/p/newsletter-dec-2026?utm_source=newsletter&utm_campaign=dec`, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' } });
    expect([hit.status, hit.headers.get('content-type'), (await hit.arrayBuffer()).byteLength]).toEqual([200, 'image/gif', 43]);
    expect((await fetch(`${ff.url}/p/newsletter-nov-2026`)).status).toBe(404);

    expect(await failure(umami.createPixel({ name: 'Again', slug: 'newsletter-dec-2026' }))).toEqual({ status: 400, code: 'bad-request', message: 'That slug is already taken.' });
    expect((await failure(umami.createPixel({ name: 'Short', slug: 'short' }))).status).toBe(400);
    expect(await umami.deletePixel({ pixelId: created.id })).toEqual({ ok: true });
    expect((await failure(umami.getPixel({ pixelId: created.id }))).status).toBe(404);
    expect((await fetch(`${ff.url}/p/newsletter-dec-2026`)).status).toBe(404);
  });

  it("creates a team, answered as Umami does ([team, membership]), and lists a pixel put under it among the team's", async () => {
    const [team, membership] = await umami.createTeam({ name: 'Marketing' });
    expect(team.twoFactorRequired).toBe(false);
    expect(membership).toMatchObject({ teamId: team.id, role: 'team-owner', userId: (await umami.getMe({})).user!.id });
    const login = await new UmamiClient({ baseUrl: `${ff.url}/api` }).login({ username: 'admin', password: PASSWORD });
    expect('token' in login && login.user.teams.map((x) => x.name)).toEqual(['Marketing']);
    expect(((await umami.verify({})).teams as { id: string }[]).map((x) => x.id)).toEqual([team.id]);
    const pixel = await umami.createPixel({ name: 'Team pixel', slug: 'marketing-team-pixel', teamId: team.id });
    expect(pixel).toMatchObject({ teamId: team.id, userId: null });
    const listed = await umami.getTeamPixels({ teamId: team.id });
    expect([listed.count, listed.data.map((p) => p.slug)]).toEqual([1, ['marketing-team-pixel']]);
  });

  it('creates and updates a website', async () => {
    const site = await umami.createWebsite({ name: 'Blog', domain: 'blog.example.com' });
    expect([site.recorderEnabled, site.replayConfig]).toEqual([false, null]);
    expect(await umami.updateWebsite({ websiteId: site.id, name: 'Engineering blog' })).toMatchObject({ id: site.id, name: 'Engineering blog', domain: 'blog.example.com' });
    expect((await umami.listWebsites({})).data.map((w) => w.id)).toContain(site.id);
  });

  it("makes, lists and revokes an API key at Umami's path, and the key works with the client until revoked", async () => {
    const made = await umami.createMyApiKey({ name: 'nightly export' });
    expect(Object.keys(made).sort()).toEqual(['createdAt', 'id', 'key', 'keyPrefix', 'name']);
    expect(made.key.startsWith(made.keyPrefix)).toBe(true);
    const listed = await umami.getMyApiKeys({});
    expect(listed.find((k) => k.id === made.id)).toMatchObject({ name: 'nightly export', keyPrefix: made.keyPrefix, lastUsedAt: null });
    const withKey = new UmamiClient({ baseUrl: `${ff.url}/api`, token: made.key });
    expect((await withKey.getPixels({})).page).toBe(1);
    expect(await withKey.getMe({})).toMatchObject({ authType: 'api-key', apiKey: { id: made.id, name: 'nightly export' }, user: { username: 'admin' } });
    // As Umami's: an API key can neither list nor revoke keys there.
    expect((await failure(withKey.getMyApiKeys({}))).status).toBe(401);
    expect(await umami.deleteMyApiKey({ keyId: made.id })).toEqual({ ok: true });
    expect((await failure(withKey.getPixels({}))).status).toBe(401);
  });

  it('logs out: the token then gets 401', async () => {
    const session = new UmamiClient({ baseUrl: `${ff.url}/api`, token: await signIn() });
    expect(await session.logout({})).toEqual({ ok: true });
    expect((await failure(session.getMe({}))).status).toBe(401);
  });
});
