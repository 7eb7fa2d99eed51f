import { describe, expect, it } from 'bun:test';
import { testApp } from '../helpers/test-app.ts';
import { json, world } from '../helpers/management.ts';

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
    expect(((await res.json()) as [{ name: string }])[0].name).toBe('Caf\ufffd');
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
