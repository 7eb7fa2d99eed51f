import { describe, expect, it } from 'bun:test';
import { manualClock } from '../../src/lib/clock.ts';
import { testApp } from '../helpers/test-app.ts';
import { accountsWorld, PASSWORD } from '../helpers/accounts-fixture.ts';
import { PasswordQueueFullError, passwordHasher, TEST_PASSWORD_COST } from '../../src/accounts/passwords.ts';
import { json, get, world } from '../helpers/management.ts';

describe('login, tokens and API keys', () => {
  it('answers 429 with Retry-After when too many password checks are already waiting', async () => {
    const busy = { hash: () => Promise.reject(new PasswordQueueFullError()), verify: () => Promise.reject(new PasswordQueueFullError()) };
    const t = testApp([], { passwords: busy });
    const res = await t.request('/api/auth/login', json('POST', { username: 'nobody', password: 'some password' }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too-many-requests');
  });

  it('charges no try for a login the server was too busy to check: five wrong passwords still get 401 after ten busy answers', async () => {
    const real = passwordHasher(TEST_PASSWORD_COST);
    let busyFor = 10;
    const flaky = { hash: real.hash, verify: (p: string, h: string | null) => (busyFor-- > 0 ? Promise.reject(new PasswordQueueFullError()) : real.verify(p, h)) };
    const t = testApp([], { passwords: flaky });
    await accountsWorld(t.meta, flaky, t.clock);
    const wrong = () => t.request('/api/auth/login', json('POST', { username: 'owner', password: 'nope nope' })).then((r) => r.status);
    for (let i = 0; i < 10; i++) expect(await wrong()).toBe(429);
    for (let i = 0; i < 5; i++) expect(await wrong()).toBe(401);
    expect(await wrong()).toBe(429);
  });

  it('charges no try for a login the database failed (503), so five such failures leave the password good', async () => {
    const { request, meta } = await world();
    const byUsername = meta.users.byUsername.bind(meta.users);
    let failing = 5;
    meta.users.byUsername = (name: string) => {
      if (failing-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return byUsername(name);
    };
    for (let i = 0; i < 5; i++) expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(503);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(200);
  });

  it('answers 503 with Retry-After, not 500, while the database cannot be written (a full disk, a failing one, a read-only file)', async () => {
    const { request, meta, w } = await world();
    const create = meta.websites.create.bind(meta.websites);
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY']) {
      meta.websites.create = () => {
        throw Object.assign(new Error('database or disk is full'), { code });
      };
      const res = await request('/api/websites', json('POST', { name: 'Full', domain: 'full.example' }, w.auth.owner));
      expect([code, res.status, res.headers.get('retry-after'), ((await res.json()) as { error: { code: string } }).error.code]).toEqual([code, 503, '30', 'service-unavailable']);
    }
    meta.websites.create = create;
    expect((await request('/api/websites', json('POST', { name: 'Room again', domain: 'full.example' }, w.auth.owner))).status).toBe(200);
  });

  it('changes a password and ends the other sessions together or not at all: a write that fails between them changes neither', async () => {
    const { request, meta, w } = await world();
    const other = (await (await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).json()) as { token: string };
    const revokeAllOf = meta.tokens.revokeAllOf.bind(meta.tokens);
    meta.tokens.revokeAllOf = () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const res = await request('/api/me/password', json('POST', { currentPassword: PASSWORD, newPassword: 'evicting a thief now' }, w.auth.owner));
    expect(res.status).toBe(503);
    meta.tokens.revokeAllOf = revokeAllOf;
    // Not made: the old password works, the new one does not; the change can simply be sent again.
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: 'evicting a thief now' }))).status).toBe(401);
    const again = await request('/api/me/password', json('POST', { currentPassword: PASSWORD, newPassword: 'evicting a thief now' }, w.auth.owner));
    expect(again.status).toBe(200);
    expect((await request('/api/me', get(`Bearer ${other.token}`))).status).toBe(401);
  });

  it('logs in with name and password and the token then works as a bearer', async () => {
    const { request } = await world();
    const res = await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { username: string; role: string } };
    expect(body.user).toMatchObject({ username: 'owner', role: 'user', isAdmin: false });
    const me = await request('/api/me', get(`Bearer ${body.token}`));
    expect((await me.json()) as unknown).toMatchObject({ authType: 'session', user: { username: 'owner' } });
    // As Umami's getBearerToken reads the header: the text between the first and second space, whatever the first word.
    for (const [header, status] of [[`Bearer ${body.token} more`, 200], [`Token ${body.token}`, 200], [`Bearer  ${body.token}`, 401], [`Bearer\t${body.token}`, 401], [body.token, 401]] as const) {
      expect([header.slice(0, 8), (await request('/api/me', get(header))).status]).toEqual([header.slice(0, 8), status]);
    }
  });

  it('answers 401 for a wrong password and for an unknown user alike', async () => {
    const { request } = await world();
    const a = await request('/api/auth/login', json('POST', { username: 'owner', password: 'wrong password' }));
    const b = await request('/api/auth/login', json('POST', { username: 'nobody', password: 'wrong password' }));
    expect([a.status, b.status]).toEqual([401, 401]);
    const body = await a.json();
    expect(body).toEqual({ error: { message: 'Unauthorized', code: 'incorrect-username-password', status: 401 } });
    expect(await b.json()).toEqual(body);
  });

  it('stops a sixth failed login for one name with 429 and Retry-After, until the bucket refills', async () => {
    const { request, clock } = await world();
    for (let i = 0; i < 5; i++) expect((await request('/api/auth/login', json('POST', { username: 'owner', password: 'nope nope' }))).status).toBe(401);
    const blocked = await request('/api/auth/login', json('POST', { username: 'Owner', password: PASSWORD }));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('too-many-requests');
    // Another name from the same address is still let through.
    expect((await request('/api/auth/login', json('POST', { username: 'other', password: PASSWORD }))).status).toBe(200);
    clock.advance(Number(blocked.headers.get('retry-after')) * 1000);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(200);
  });

  it("lets a name's owner log in from their own address while a stranger's address is held for failing five times on it", async () => {
    const t = testApp(['--trust-proxy']);
    await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    const from = (ip: string, password: string) => t.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ username: 'owner', password }) });
    for (let i = 0; i < 5; i++) expect((await from('198.51.100.7', 'nope nope')).status).toBe(401);
    expect((await from('198.51.100.7', PASSWORD)).status).toBe(429);
    expect((await from('203.0.113.9', PASSWORD)).status).toBe(200);
  });

  it('counts wrong logins sent all at once: of 60 concurrent tries for one name from one address, 5 are checked and 55 get 429', async () => {
    const { request } = await world();
    const statuses = await Promise.all(Array.from({ length: 60 }, () => request('/api/auth/login', json('POST', { username: 'owner', password: 'nope nope' })).then((r) => r.status)));
    expect([statuses.filter((s) => s === 401).length, statuses.filter((s) => s === 429).length]).toEqual([5, 55]);
  });

  it("keeps letting a name's owner in from an address they logged in from while many addresses together exhaust the name's 100 tries", async () => {
    const t = testApp(['--trust-proxy']);
    await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    const from = (ip: string, password: string) => t.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ username: 'owner', password }) });
    expect((await from('203.0.113.9', PASSWORD)).status).toBe(200);
    for (let i = 0; i < 100; i++) expect((await from(`198.51.100.${i}`, 'nope nope')).status).toBe(401);
    expect((await from('192.0.2.1', PASSWORD)).status).toBe(429);
    expect((await from('203.0.113.9', PASSWORD)).status).toBe(200);
  });

  it('stops one client address after 20 failures whatever names it tries', async () => {
    const { request } = await world();
    for (let i = 0; i < 20; i++) await request('/api/auth/login', json('POST', { username: `guess${i}`, password: 'nope nope' }));
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(429);
  });

  it('takes about as long to fail for an unknown user as for a wrong password', async () => {
    // A real argon2id cost (16 MiB) so the hash dominates; medians of 7 tries each.
    const hasher = passwordHasher({ memoryCost: 16_384, timeCost: 2 });
    const app = testApp([], { passwords: hasher });
    app.meta.users.create({ id: crypto.randomUUID(), username: 'real', passwordHash: await hasher.hash(PASSWORD), role: 'user' }, app.clock());
    const time = async (username: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 7; i++) {
        app.clock.advance(3_600_000); // keep the throttle out of the way
        const t0 = performance.now();
        const r = await app.request('/api/auth/login', json('POST', { username, password: 'wrong password' }));
        ms.push(performance.now() - t0);
        expect(r.status).toBe(401);
      }
      return ms.sort((a, b) => a - b)[3]!;
    };
    await time('real'); // warm-up
    const known = await time('real');
    const unknown = await time('ghost');
    expect(Math.abs(known - unknown) / Math.max(known, unknown)).toBeLessThan(0.5);
  });

  it('revokes the token on logout and lets tokens expire after 7 days', async () => {
    const { request, clock } = await world();
    const login = async () => ((await (await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).json()) as { token: string }).token;
    const a = `Bearer ${await login()}`;
    const b = `Bearer ${await login()}`;
    expect((await request('/api/auth/logout', { method: 'POST', headers: { authorization: a } })).status).toBe(200);
    expect((await request('/api/me', get(a))).status).toBe(401);
    expect((await request('/api/me', get(b))).status).toBe(200);
    clock.advance(7 * 86_400_000);
    expect((await request('/api/me', get(b))).status).toBe(401);
  });

  it("serves the same API keys at Umami's /api/me/api-keys in its shape, to a login session only, each user's own", async () => {
    const { request, w } = await world();
    const made = (await (await request('/api/me/api-keys', json('POST', { name: 'umami path' }, w.auth.other))).json()) as { id: string; key: string; keyPrefix: string };
    expect(made.key.startsWith(made.keyPrefix)).toBe(true);
    const listed = (await (await request('/api/api-keys', get(w.auth.other))).json()) as { id: string; prefix: string }[];
    expect(listed.map((k) => [k.id, k.prefix])).toEqual([[made.id, made.keyPrefix]]);
    expect((await (await request('/api/me/api-keys', get(w.auth.other))).json()) as unknown).toEqual([
      { id: made.id, name: 'umami path', keyPrefix: made.keyPrefix, createdAt: expect.any(String), lastUsedAt: null },
    ]);
    // As Umami's: no API key on these paths, and another user's key is not found, an admin's call included.
    expect((await request('/api/me/api-keys', json('POST', { name: 'from a key' }, `Bearer ${made.key}`))).status).toBe(401);
    expect((await request('/api/me/api-keys', get(`Bearer ${made.key}`))).status).toBe(401);
    expect((await request(`/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${made.key}` } })).status).toBe(401);
    expect((await request('/api/me/api-keys', get())).status).toBe(401);
    expect((await request(`/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { authorization: w.auth.owner! } })).status).toBe(404);
    expect((await request(`/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { authorization: w.auth.admin! } })).status).toBe(404);
    expect((await (await request(`/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { authorization: w.auth.other! } })).json()) as unknown).toEqual({ ok: true });
    expect((await request('/api/me', get(`Bearer ${made.key}`))).status).toBe(401);
  });

  it('does not honour a token issued while the clock ran ahead once the clock is put right, beyond ten minutes of slack', async () => {
    const { request, clock } = await world();
    const login = async () => `Bearer ${((await (await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).json()) as { token: string }).token}`;
    const right = clock();
    clock.set(right + 365 * 86_400_000);
    const fromTheFuture = await login();
    expect((await request('/api/me', get(fromTheFuture))).status).toBe(200);
    clock.set(right + 5 * 60_000);
    const fromFiveMinutesAhead = await login();
    clock.set(right);
    expect((await request('/api/me', get(fromTheFuture))).status).toBe(401);
    expect((await request('/api/me', get(fromFiveMinutesAhead))).status).toBe(200);
  });

  it('measures the login throttle on the steady clock: a wall clock stepped back an hour does not hold the address longer than Retry-After says', async () => {
    const steady = manualClock(1_000_000);
    const t = testApp([], { steadyClock: steady });
    await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    for (let i = 0; i < 5; i++) expect((await t.request('/api/auth/login', json('POST', { username: 'owner', password: 'nope nope' }))).status).toBe(401);
    t.clock.advance(-3_600_000);
    const blocked = await t.request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }));
    expect([blocked.status, blocked.headers.get('retry-after')]).toEqual([429, '180']);
    steady.advance(180_000);
    expect((await t.request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(200);
  });

  it('shows an API key once, lists it without the secret, accepts it as a bearer until revoked', async () => {
    const { request, w } = await world();
    const created = (await (await request('/api/api-keys', json('POST', { name: 'ci' }, w.auth.other))).json()) as { id: string; key: string; prefix: string };
    expect(created.key).toMatch(/^footfall_[0-9A-Za-z]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const list = await (await request('/api/api-keys', get(w.auth.other))).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.key);
    // Logging out with a key is refused, saying how to revoke it; the key still works.
    const out = await request('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${created.key}` } });
    expect([out.status, ((await out.json()) as { error: { message: string } }).error.message]).toEqual([401, `An API key is not a login session and stays valid: revoke it with DELETE /api/api-keys/${created.id}.`]);
    expect((await request('/api/me', get(`Bearer ${created.key}`))).status).toBe(200);
    const bearer = `Bearer ${created.key}`;
    expect((await (await request('/api/me', get(bearer))).json()) as unknown).toMatchObject({ authType: 'api-key', apiKey: { id: created.id }, user: { username: 'other' } });
    // Scoped to its user's rights: other is no admin.
    expect((await request('/api/users', get(bearer))).status).toBe(401);
    // A key cannot make keys, nor set its own user's password by either route: a leaked key does
    // not become the account. A login token can.
    const refused = async (path: string, body: unknown) => {
      const r = await request(path, json('POST', body, bearer));
      return [r.status, ((await r.json()) as { error: { message: string } }).error.message];
    };
    expect(await refused('/api/api-keys', { name: 'second' })).toEqual([401, 'An API key cannot make API keys: sign in (POST /api/auth/login) and use the login token.']);
    expect(await refused(`/api/users/${w.ids.other}`, { password: 'taken over by a key' })).toEqual([401, 'An API key cannot manage users: sign in (POST /api/auth/login) and use the login token.']);
    expect((await refused('/api/me/password', { currentPassword: PASSWORD, newPassword: 'taken over by a key' }))[0]).toBe(401);
    expect((await request('/api/auth/login', json('POST', { username: 'other', password: PASSWORD }))).status).toBe(200);
    expect((await request('/api/api-keys', json('POST', { name: 'second' }, w.auth.other))).status).toBe(200);
    expect((await request(`/api/api-keys/${created.id}`, { method: 'DELETE', headers: { authorization: w.auth.other! } })).status).toBe(200);
    expect((await request('/api/me', get(bearer))).status).toBe(401);
  });

  it("keeps an admin's API key off the user and auth routes, as Umami does, while it manages websites: a leaked one cannot make an admin to sign in as", async () => {
    const { request, w } = await world();
    const key = (await (await request('/api/api-keys', json('POST', { name: 'provisioning' }, w.auth.admin))).json()) as { key: string };
    const bearer = `Bearer ${key.key}`;
    expect((await request('/api/websites', get(bearer))).status).toBe(200);
    expect((await request('/api/users', get(bearer))).status).toBe(401);
    expect((await request(`/api/users/${w.ids.owner}`, get(bearer))).status).toBe(401);
    const status = async (path: string, body: unknown) => (await request(path, json('POST', body, bearer))).status;
    expect(await status('/api/users', { username: 'made-by-a-key', password: 'a long enough one', role: 'admin' })).toBe(401);
    expect(await status(`/api/users/${w.ids.owner}`, { password: 'taken over by a key' })).toBe(401);
    expect(await status(`/api/users/${w.ids.owner}`, { username: 'renamed-owner' })).toBe(401);
    expect((await request(`/api/users/${w.ids.other}`, { method: 'DELETE', headers: { authorization: bearer } })).status).toBe(401);
    const refused = await request('/api/auth/verify', get(bearer));
    expect([refused.status, ((await refused.json()) as { error: { message: string } }).error.message]).toEqual([401, 'An API key cannot verify a login: sign in (POST /api/auth/login) and use the login token.']);
  });

  it('ends the other sessions, not the current one, when a user changes their password', async () => {
    const { request, w } = await world();
    const res = await request(`/api/users/${w.ids.owner}`, json('POST', { password: 'a brand new password' }, w.auth.owner));
    expect(res.status).toBe(200);
    expect((await request('/api/me', get(w.auth.owner))).status).toBe(200);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: 'a brand new password' }))).status).toBe(200);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(401);
  });

  it('changes the caller\'s own password through Umami\'s POST /api/me/password, given the current one', async () => {
    const { request, w } = await world();
    const wrong = await request('/api/me/password', json('POST', { currentPassword: 'not it at all', newPassword: 'a brand new password' }, w.auth.owner));
    expect([wrong.status, ((await wrong.json()) as { error: { message: string } }).error.message]).toEqual([400, 'Current password is incorrect']);
    const short = await request('/api/me/password', json('POST', { currentPassword: PASSWORD, newPassword: 'short' }, w.auth.owner));
    expect(short.status).toBe(400);
    expect((await request('/api/me/password', json('POST', { currentPassword: PASSWORD, newPassword: 'a brand new password' }))).status).toBe(401);
    const res = await request('/api/me/password', json('POST', { currentPassword: PASSWORD, newPassword: 'a brand new password' }, w.auth.owner));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string; username: string })).toMatchObject({ id: w.ids.owner, username: 'owner' });
    expect((await request('/api/me', get(w.auth.owner))).status).toBe(200);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: 'a brand new password' }))).status).toBe(200);
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(401);
  });

  it('throttles guesses of the current password as failed logins: a stolen session cannot find the password out', async () => {
    const { request, w } = await world();
    const guess = (currentPassword: string) => request('/api/me/password', json('POST', { currentPassword, newPassword: 'a brand new password' }, w.auth.owner));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await guess(`wrong guess ${i}`)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    const throttled = await guess(PASSWORD);
    expect([throttled.status, Number(throttled.headers.get('retry-after')) > 0]).toEqual([429, true]);
    // The same buckets as the login form's.
    expect((await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }))).status).toBe(429);
  });
});
