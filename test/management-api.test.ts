import { describe, expect, it } from 'bun:test';
import { testApp } from './helpers/test-app.ts';
import { accountsWorld, PASSWORD } from './helpers/accounts-fixture.ts';
import { PasswordQueueFullError, passwordHasher, TEST_PASSWORD_COST } from '../src/accounts/passwords.ts';

const json = (method: string, body: unknown, authorization?: string): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  body: JSON.stringify(body),
});
const get = (authorization?: string): RequestInit => ({ headers: authorization ? { authorization } : {} });

async function world() {
  const t = testApp();
  const w = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
  return { ...t, w };
}

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
    expect(((await me.json()) as { username: string }).username).toBe('owner');
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
    expect(await a.json()).toEqual(await b.json());
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
    expect([out.status, ((await out.json()) as { error: { message: string } }).error.message]).toEqual([400, `An API key is not a login session and stays valid: revoke it with DELETE /api/api-keys/${created.id}.`]);
    expect((await request('/api/me', get(`Bearer ${created.key}`))).status).toBe(200);
    const bearer = `Bearer ${created.key}`;
    expect(((await (await request('/api/me', get(bearer))).json()) as { username: string }).username).toBe('other');
    // Scoped to its user's rights: other is no admin.
    expect((await request('/api/users', get(bearer))).status).toBe(401);
    // A key cannot make keys, nor set its own user's password by either route: a leaked key does
    // not become the account. A login token can.
    const refused = async (path: string, body: unknown) => {
      const r = await request(path, json('POST', body, bearer));
      return [r.status, ((await r.json()) as { error: { message: string } }).error.message];
    };
    expect(await refused('/api/api-keys', { name: 'second' })).toEqual([401, 'An API key cannot make API keys: sign in (POST /api/auth/login) and use the login token.']);
    expect(await refused(`/api/users/${w.ids.other}`, { password: 'taken over by a key' })).toEqual([401, 'An API key cannot set a password: sign in (POST /api/auth/login) and use the login token.']);
    expect((await refused('/api/me/password', { currentPassword: PASSWORD, newPassword: 'taken over by a key' }))[0]).toBe(401);
    expect((await request('/api/auth/login', json('POST', { username: 'other', password: PASSWORD }))).status).toBe(200);
    expect((await request('/api/api-keys', json('POST', { name: 'second' }, w.auth.other))).status).toBe(200);
    expect((await request(`/api/api-keys/${created.id}`, { method: 'DELETE', headers: { authorization: w.auth.other! } })).status).toBe(200);
    expect((await request('/api/me', get(bearer))).status).toBe(401);
  });

  it("lets an admin's API key read and manage, but not create users or set a password or a role: a leaked one cannot make an admin to sign in as", async () => {
    const { request, w } = await world();
    const key = (await (await request('/api/api-keys', json('POST', { name: 'provisioning' }, w.auth.admin))).json()) as { key: string };
    const bearer = `Bearer ${key.key}`;
    expect((await request('/api/users', get(bearer))).status).toBe(200);
    const status = async (path: string, body: unknown) => (await request(path, json('POST', body, bearer))).status;
    expect(await status('/api/users', { username: 'made-by-a-key', password: 'a long enough one', role: 'admin' })).toBe(401);
    expect(await status(`/api/users/${w.ids.owner}`, { password: 'taken over by a key' })).toBe(401);
    expect(await status(`/api/users/${w.ids.owner}`, { role: 'admin' })).toBe(401);
    // A rename is no credential; the same role given again changes nothing.
    expect(await status(`/api/users/${w.ids.owner}`, { username: 'renamed-owner', role: 'user' })).toBe(200);
    expect((await request('/api/auth/login', json('POST', { username: 'renamed-owner', password: PASSWORD }))).status).toBe(200);
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

describe('validation comes before authentication and bad input never gets a 500', () => {
  const cases: [string, string, RequestInit][] = [
    ['ill-formed JSON', '/api/websites', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }],
    ['an empty body', '/api/websites', { method: 'POST' }],
    ['a wrong type', '/api/websites', json('POST', { name: 42 })],
    ['an over-long name', '/api/websites', json('POST', { name: 'x'.repeat(101) })],
    ['an over-long domain', '/api/websites', json('POST', { name: 'x', domain: 'd'.repeat(501) })],
    ['a non-UUID team id', '/api/websites', json('POST', { name: 'x', teamId: 'nope' })],
    ['a non-UUID path id', '/api/websites/not-a-uuid', {}],
    ['an unknown role', '/api/users', json('POST', { username: 'x', password: 'long enough', role: 'root' })],
    ['a short password', '/api/users', json('POST', { username: 'x', password: 'short' })],
    ['page=0', '/api/websites?page=0', {}],
    ['page=abc', '/api/websites?page=abc', {}],
    ['pageSize over 1000', '/api/websites?pageSize=1001', {}],
    ['a fractional pageSize', '/api/websites?pageSize=1.5', {}],
    ['an export with a bad format', `/api/websites/${crypto.randomUUID()}/export?format=xml`, {}],
    ['an array body', '/api/teams', json('POST', [1, 2])],
    ['a null body', '/api/teams', json('POST', null)],
    ['team role team-owner', `/api/teams/${crypto.randomUUID()}/users/${crypto.randomUUID()}`, json('POST', { role: 'team-owner' })],
  ];
  for (const [what, path, init] of cases) {
    it(`answers 400 in Umami's shape for ${what}, signed in or not`, async () => {
      const { request, w } = await world();
      for (const auth of [undefined, w.auth.admin]) {
        const headers = new Headers(init.headers);
        if (auth) headers.set('authorization', auth);
        const res = await request(path, { ...init, headers });
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { code: string; status: number; message: string } };
        expect(body.error).toMatchObject({ code: 'bad-request', status: 400, message: 'Bad request' });
      }
    });
  }

  it('names the offending field as Umami does', async () => {
    const { request } = await world();
    const body = (await (await request('/api/websites', json('POST', { name: 42 }))).json()) as { error: { properties: Record<string, unknown> } };
    expect(Object.keys(body.error.properties)).toEqual(['name']);
  });

  it('answers a body that is JSON but not an object with zod’s root error, on every route with a body', async () => {
    const { request } = await world();
    for (const [path, body] of [['/api/auth/login', '[1]'], ['/api/teams', '"x"'], ['/api/users', '42'], ['/api/api-keys', '[1]'], ['/api/teams/join', 'true']] as const) {
      const res = await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      const kind = body === '[1]' ? 'array' : body === '"x"' ? 'string' : body === '42' ? 'number' : 'boolean';
      expect(((await res.json()) as { error: { errors: string[] } }).error.errors).toEqual([`Invalid input: expected object, received ${kind}`]);
    }
  });

  it('refuses a body nested deeper than 32 levels with a 400 before reading it, on every route with a body, in milliseconds', async () => {
    const { request } = await world();
    // 30,000 levels took 18 s and 2.5 GB before a 500; 5,000 in a string field overflowed the stack.
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    for (const [path, body] of [
      ['/api/websites', `{"name":"n","domain":${deep(30_000)}}`],
      ['/api/auth/login', `{"username":${deep(5_000)},"password":"x"}`],
      ['/api/users', `{"username":"u","password":${deep(5_000)}}`],
      ['/api/teams', `{"name":${deep(33)}}`],
    ] as const) {
      const started = performance.now();
      const res = await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect([path, res.status]).toEqual([path, 400]);
      expect(((await res.json()) as { error: { errors: string[] } }).error.errors).toEqual(['Invalid input: nested deeper than 32 levels']);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    // 32 levels is still read (and refused for its type, as Umami would).
    const res = await request('/api/teams', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"name":${deep(31)}}` });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).not.toContain('nested deeper');
  });

  it('reads an invalid UTF-8 byte in a body as U+FFFD, as request.json() does', async () => {
    const { request, w } = await world();
    const body = new Uint8Array([...new TextEncoder().encode('{"name":"Caf'), 0xe9, ...new TextEncoder().encode('"}')]);
    const res = await request('/api/teams', { method: 'POST', headers: { authorization: w.auth.owner!, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('Caf\ufffd');
  });

  it('answers 413 in Umami’s shape to a body over 1 MiB, declared or chunked, before reading past it', async () => {
    const { request, w } = await world();
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const declared = await request('/api/teams', { method: 'POST', headers: { authorization: w.auth.owner!, 'content-type': 'application/json' }, body: big });
    const chunked = await request('/api/teams', {
      method: 'POST',
      headers: { authorization: w.auth.owner! },
      body: new ReadableStream({ start(c) { for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode(big.slice(i * 400_000, (i + 1) * 400_000))); c.close(); } }),
    });
    for (const res of [declared, chunked]) {
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload-too-large');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('parses a JSON body sent without a Content-Type, as Umami does', async () => {
    const { request, w } = await world();
    const res = await request('/api/teams', { method: 'POST', headers: { authorization: w.auth.owner! }, body: JSON.stringify({ name: 'Plain' }) });
    expect(res.status).toBe(200);
  });

  it('creates a website without a domain (unlike Umami): one fed only by RudderStack SDKs needs none', async () => {
    const { request, w } = await world();
    const res = await request('/api/websites', { method: 'POST', headers: { authorization: w.auth.owner!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Mobile app' }) });
    expect(res.status).toBe(200);
    const site = (await res.json()) as { domain: string | null; writeKey: string };
    expect(site.domain).toBeNull();
    expect(site.writeKey).toMatch(/\S{16,}/);
  });
});

describe('methods a route does not have', () => {
  it('get 405 with Allow and Umami’s headers, as Next.js answers; unknown paths stay 404', async () => {
    const { request } = testApp();
    const id = '7d4f0c1e-0000-4000-8000-000000000000';
    for (const [method, path, allow] of [
      ['PUT', '/api/pixels', 'GET, HEAD, POST'],
      ['PATCH', `/api/pixels/${id}`, 'DELETE, GET, HEAD, POST'],
      ['POST', `/api/pixels/${id}/export`, 'GET, HEAD'],
      ['DELETE', '/api/auth/login', 'POST'],
      // the static route, not /api/teams/:teamId beside it, whose own methods these are
      ['PUT', '/api/teams/join', 'POST'],
      ['GET', '/api/teams/join', 'POST'],
      ['DELETE', '/api/teams/join', 'POST'],
    ] as const) {
      const res = await request(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.text()).toBe('');
    }
    const unknown = await request('/api/nothing-here', { method: 'PUT' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });
});

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

  it('makes a team creator its team-owner and lets others join by access code as team-member', async () => {
    const { request, w } = await world();
    const team = (await (await request('/api/teams', json('POST', { name: 'Growth' }, w.auth.owner))).json()) as { id: string; accessCode: string };
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
    const gone = (await (await request('/api/teams', json('POST', { name: 'Gone' }, w.auth.owner))).json()) as { id: string; accessCode: string };
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

describe('CORS on the management API', () => {
  it('answers Umami\'s CORS headers on /api/* and 204 to a preflight, leaving Prisme\'s /api/v1/* alone', async () => {
    const t = testApp();
    const res = await t.request('/api/websites');
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const pre = await t.request('/api/auth/login', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toBe('*');
    // Next.js answers OPTIONS on a route with GET itself: 204 with Allow (its methods, HEAD, OPTIONS).
    const id = '7d4f0c1e-0000-4000-8000-000000000000';
    for (const [path, allow] of [['/api/pixels', 'GET, HEAD, OPTIONS, POST'], [`/api/pixels/${id}`, 'DELETE, GET, HEAD, OPTIONS, POST'], [`/api/teams/${id}/pixels`, 'GET, HEAD, OPTIONS'], ['/api/auth/login', null]] as const) {
      const res = await t.request(path, { method: 'OPTIONS' });
      expect([path, res.status, res.headers.get('allow'), res.headers.get('access-control-allow-origin')]).toEqual([path, 204, allow, '*']);
    }
    const prisme = await t.request('/api/v1/healthcheck');
    expect(prisme.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('puts them on successful answers and on unknown /api/* paths too, and on no ingestion answer', async () => {
    const { request } = await world();
    const ok = await request('/api/auth/login', json('POST', { username: 'owner', password: PASSWORD }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
    expect(ok.headers.get('cache-control')).toBe('no-cache');
    const unknown = await request('/api/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } };
    const health = await request('/api/v1/healthcheck', preflight);
    expect(health.status).toBe(200); // Prisme's healthcheck takes any method
    expect(health.headers.get('access-control-allow-methods')).toBeNull();
    const nowhere = await request('/api/v1/nowhere', preflight);
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers.get('access-control-allow-methods')).toBeNull();
    for (const path of ['/pixel/v1/page?writeKey=x&anonymousId=a', '/p/no-such-pixel', '/api/v1/noscript/events/pageviews']) {
      const res = await request(path);
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      expect(res.headers.get('cache-control')).not.toBe('no-cache');
    }
  });
});

describe('GET /api/metrics', () => {
  it('shows admins the buffer, drops by reason and cache sizes, and refuses everyone else', async () => {
    const t = testApp(['--origins', 'mywebsite.localhost']);
    const world = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    await t.request('/api/v1/events/pageviews', { method: 'POST', headers: { origin: 'https://evil.example', 'x-prisme-referrer': 'https://evil.example/' } });
    const res = await t.request('/api/metrics', { headers: { authorization: world.auth.admin! } });
    expect(res.status).toBe(200);
    const m = (await res.json()) as { drops: Record<string, number>; buffer: { accepted: number }; memory: { rssBytes: number } };
    expect(m.drops['unknown-origin']).toBe(1);
    expect(m.buffer.accepted).toBe(0);
    expect(m.memory.rssBytes).toBeGreaterThan(0);
    expect((await t.request('/api/metrics', { headers: { authorization: world.auth.owner! } })).status).toBe(401);
    expect((await t.request('/api/metrics')).status).toBe(401);
  });

  it('says how many addresses the full limiter table forgot while their buckets were refilling (their limits started over)', async () => {
    const t = testApp(['--trust-proxy', '--limiter-max-keys', '1000']);
    const world = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
    // Each takes a token (the limiter comes before the origin check) from a bucket of its own.
    for (let i = 0; i < 1100; i++)
      await t.request('/api/v1/events/pageviews', { method: 'POST', headers: { origin: 'https://evil.example', 'x-forwarded-for': `198.51.${i >> 8}.${i & 255}` } });
    const m = (await (await t.request('/api/metrics', { headers: { authorization: world.auth.admin! } })).json()) as { limiter: Record<string, number> };
    expect(m.limiter).toEqual({ trackedAddresses: 1000, pixelTrackedAddresses: 0, forgottenWhileRefilling: 100, pixelForgottenWhileRefilling: 0 });
  });
});
