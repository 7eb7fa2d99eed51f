import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/sqlite/open-database.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.ts';
import { EVENT_FIELDS } from '../../src/ingest/event.ts';
import { makeEvent } from '../helpers/events.ts';
import { runBinary, startBinary, tempDir } from '../helpers/binary.ts';

const ADMIN_PASSWORD = 'e2e admin password';

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res;
}

describe('dist/footfall management API', () => {
  it('bootstraps admin from FOOTFALL_ADMIN_PASSWORD, then login, user, team, website, write-key rotation and export work over HTTP', async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      // --log-format json (startBinary's): every line of the log is a JSON object, this one too.
      const logLines = ff.log().trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
      expect(logLines.find((l) => l.msg.startsWith('created user'))).toMatchObject({ level: 'warn', msg: 'created user "admin" with the password from FOOTFALL_ADMIN_PASSWORD' });
      expect(ff.log()).not.toContain(ADMIN_PASSWORD);
      const login = await call(ff.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD });
      expect(login.status).toBe(200);
      expect(login.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
      const { token } = (await login.json()) as { token: string };
      // Bun's own router serves the binary's routes (in-process tests go through Elysia's): each API keeps its preflight.
      const preflight = (path: string) => fetch(ff.url + path, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
      const umami = await preflight('/api/websites/some-id');
      expect(umami.status).toBe(204);
      expect(umami.headers.get('access-control-allow-methods')).toBe('GET, DELETE, POST, PUT');
      const prisme = await preflight('/api/v1/events/pageviews');
      expect(prisme.status).toBe(204);
      expect(prisme.headers.get('access-control-allow-methods')).toBe('POST');

      // Query numbers are checked by the binary as from source (a minified build once let them through as strings).
      for (const [q, field, message] of [['page=0', 'page', 'Too small: expected number to be >0'], ['pageSize=1001', 'pageSize', 'Too big: expected number to be <=1000']]) {
        for (const path of ['/api/pixels', '/api/websites']) {
          const res = await call(ff.url, 'GET', `${path}?${q}`, token);
          expect(res.status).toBe(400);
          expect(await res.json()).toEqual({ error: { message: 'Bad request', code: 'bad-request', status: 400, errors: [], properties: { [field!]: { errors: [message] } } } });
        }
      }

      const user = await call(ff.url, 'POST', '/api/users', token, { username: 'alice', password: 'alice password', role: 'user' });
      expect(user.status).toBe(200);
      const aliceLogin = (await (await call(ff.url, 'POST', '/api/auth/login', undefined, { username: 'alice', password: 'alice password' })).json()) as { token: string };

      const [team] = (await (await call(ff.url, 'POST', '/api/teams', aliceLogin.token, { name: 'Alice & co' })).json()) as [{ id: string }];
      const siteRes = await call(ff.url, 'POST', '/api/websites', aliceLogin.token, { name: 'Shop', domain: 'shop.example', teamId: team.id });
      expect(siteRes.status).toBe(200);
      const site = (await siteRes.json()) as { id: string; writeKey: string; teamId: string };
      expect(site.teamId).toBe(team.id);
      const rotated = (await (await call(ff.url, 'POST', `/api/websites/${site.id}/write-key`, aliceLogin.token)).json()) as { writeKey: string };
      expect(rotated.writeKey).not.toBe(site.writeKey);

      // Events arrive through ingestion in production; here they are written to the same file.
      const db = openDatabase(join(ff.dataDir, 'footfall.db'));
      const events = Array.from({ length: 2500 }, (_, i) => makeEvent(i, { websiteId: site.id }));
      await new SqliteEventStore(db).insertBatch(events);
      db.close();

      const nd = await call(ff.url, 'GET', `/api/websites/${site.id}/export`, aliceLogin.token);
      expect(nd.status).toBe(200);
      expect(nd.headers.get('content-disposition')).toContain(`footfall-website-${site.id}.ndjson`);
      const lines = (await nd.text()).trimEnd().split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual(events);

      const csv = await (await call(ff.url, 'GET', `/api/websites/${site.id}/export?format=csv`, token)).text();
      expect(csv.split('\r\n')[0]).toBe(EVENT_FIELDS.join(','));
      expect(csv.split('\r\n').length).toBe(2500 + 2);

      // Another user may not export it.
      await call(ff.url, 'POST', '/api/users', token, { username: 'mallory', password: 'mallory password' });
      const mallory = (await (await call(ff.url, 'POST', '/api/auth/login', undefined, { username: 'mallory', password: 'mallory password' })).json()) as { token: string };
      expect((await call(ff.url, 'GET', `/api/websites/${site.id}/export`, mallory.token)).status).toBe(401);

      // The OpenAPI document carries the bearer scheme Swagger UI's Authorize button uses.
      const doc = (await (await fetch(`${ff.url}/docs/json`)).json()) as { components: { securitySchemes: Record<string, unknown> }; paths: Record<string, { get?: { security?: unknown } }> };
      expect(doc.components.securitySchemes.bearer).toBeDefined();
      expect(doc.paths['/api/websites/{websiteId}/export']!.get!.security).toEqual([{ bearer: [] }]);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });

  it('answers 503 with Retry-After, within a second, while another process holds the database\'s write lock, and writes once it lets go', async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' });
    const shell = new Database(join(ff.dataDir, 'footfall.db'));
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'a long enough password' }) });
      const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}`, 'content-type': 'application/json' };
      const create = () => fetch(`${ff.url}/api/websites`, { method: 'POST', headers, body: JSON.stringify({ name: 'Busy', domain: 'busy.example' }) });
      // As a sqlite3 shell's BEGIN IMMEDIATE would.
      shell.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      const busy = await create();
      const waited = performance.now() - started;
      expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '1']);
      expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('service-unavailable');
      expect(waited).toBeLessThan(3000);
      shell.exec('ROLLBACK');
      expect((await create()).status).toBe(200);
    } finally {
      shell.close();
      expect(await ff.stop()).toBe(0);
    }
  }, 30_000);

  it("writes each API key's last use while its own writer thread commits a steady load", async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' });
    const shell = new Database(join(ff.dataDir, 'footfall.db'), { readonly: true });
    let loading = true;
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'a long enough password' }) });
      const token = ((await login.json()) as { token: string }).token;
      const site = (await (await call(ff.url, 'POST', '/api/websites', token, { name: 'Load', domain: 'load.example' })).json()) as { writeKey: string };
      const batch = JSON.stringify({ batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', event: 'Load', anonymousId: `a${i}`, properties: { pad: 'x'.repeat(300) } })) });
      const loops = Array.from({ length: 8 }, async () => {
        while (loading) await fetch(`${ff.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${btoa(`${site.writeKey}:`)}`, 'content-type': 'application/json' }, body: batch });
      });
      await Bun.sleep(300);
      const written: boolean[] = [];
      for (let i = 0; i < 20; i++) {
        const key = (await (await call(ff.url, 'POST', '/api/api-keys', token, { name: `k${i}` })).json()) as { id: string; key: string };
        expect((await call(ff.url, 'GET', '/api/websites', key.key)).status).toBe(200);
        written.push((shell.query('SELECT last_used_at AS t FROM api_keys WHERE id = ?').get(key.id) as { t: number | null }).t !== null);
      }
      loading = false;
      await Promise.all(loops);
      expect(written).toEqual(Array(20).fill(true));
    } finally {
      loading = false;
      shell.close();
      expect(await ff.stop()).toBe(0);
    }
  }, 30_000);

  it('reads with an API key at once while another process holds the write lock, leaving its last use unwritten, and tries that write again only a minute later', async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' });
    const shell = new Database(join(ff.dataDir, 'footfall.db'));
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'a long enough password' }) });
      const token = ((await login.json()) as { token: string }).token;
      const key = ((await (await call(ff.url, 'POST', '/api/api-keys', token, { name: 'monitor' })).json()) as { id: string; key: string });
      const lastUsed = () => (shell.query('SELECT last_used_at AS t FROM api_keys WHERE id = ?').get(key.id) as { t: number | null }).t;
      shell.exec('BEGIN IMMEDIATE');
      for (const path of ['/api/websites', '/api/metrics']) {
        const started = performance.now();
        const r = await call(ff.url, 'GET', path, key.key);
        // Not the 1 s the request thread waits for a lock before a write's 503.
        expect([path, r.status, performance.now() - started < 500]).toEqual([path, 200, true]);
      }
      shell.exec('ROLLBACK');
      expect(lastUsed()).toBeNull();
      // Refused once, the write is not tried again for a minute: another read leaves it as it was.
      expect((await call(ff.url, 'GET', '/api/websites', key.key)).status).toBe(200);
      expect(lastUsed()).toBeNull();
    } finally {
      shell.close();
      expect(await ff.stop()).toBe(0);
    }
  }, 30_000);

  it("takes the day's first Prisme and pixel hits while another process holds the write lock (the day's salt is kept in memory), and stores them once it lets go", async () => {
    const ff = await startBinary(['--trust-proxy'], { FOOTFALL_ADMIN_PASSWORD: 'a long enough password' });
    const shell = new Database(join(ff.dataDir, 'footfall.db'));
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'a long enough password' }) });
      const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}`, 'content-type': 'application/json' };
      const site = (await (await call(ff.url, 'POST', '/api/websites', headers.authorization.slice(7), { name: 'Locked', domain: 'locked.example' })).json()) as { id: string };
      const pixel = (await (await call(ff.url, 'POST', '/api/pixels', headers.authorization.slice(7), { name: 'News', slug: 'locked-news' })).json()) as { id: string };
      const browser = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'x-forwarded-for': '203.0.113.7' };
      // No hit yet, so no salt for today: the first hit creates it, and cannot save it now.
      expect(shell.query('SELECT count(*) AS n FROM salts').get()).toEqual({ n: 0 });
      shell.exec('BEGIN IMMEDIATE');
      const pixelHit = await fetch(`${ff.url}/p/locked-news`, { headers: browser });
      const pageview = await fetch(`${ff.url}/api/v1/events/pageviews`, { method: 'POST', headers: { ...browser, origin: 'https://locked.example', 'x-prisme-referrer': 'https://locked.example/a' } });
      const noscript = await fetch(`${ff.url}/api/v1/noscript/events/pageviews?referrer=https://locked.example/b`, { headers: { ...browser, origin: 'https://locked.example' } });
      expect([pixelHit.status, pixelHit.headers.get('content-type'), pageview.status, noscript.status, noscript.headers.get('content-type')]).toEqual([200, 'image/gif', 200, 200, 'image/gif']);
      expect(ff.log()).toContain("could not save the day's salt");
      shell.exec('ROLLBACK');
      const exported = async (path: string) => (await (await fetch(`${ff.url}${path}`, { headers })).text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; path: string; visitorId: string });
      let pageviews = await exported(`/api/websites/${site.id}/export`);
      for (let i = 0; i < 100 && pageviews.length < 2; i++) {
        await Bun.sleep(100);
        pageviews = await exported(`/api/websites/${site.id}/export`);
      }
      expect(pageviews.map((e) => e.path).toSorted()).toEqual(['/a', '/b']);
      // One visitor (same UA, address and host, same day's salt) on both pages.
      expect(new Set(pageviews.map((e) => e.visitorId)).size).toBe(1);
      expect(await exported(`/api/pixels/${pixel.id}/export`)).toHaveLength(1);
    } finally {
      shell.close();
      expect(await ff.stop()).toBe(0);
    }
  }, 30_000);

  it('prints a random admin password once when none is given, and reset-password prints a new one that works', async () => {
    const dir = tempDir();
    const first = await startBinary([], {}, dir);
    const msgs = first.log().trimEnd().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    const m = /^created user "admin" with password: (\S+)$/.exec(msgs.find((l) => l.startsWith('created user'))!);
    const hint = msgs.find((l) => l.startsWith('this password is shown only once'));
    expect(hint).toBe(`this password is shown only once; change it after logging in, or run "footfall user reset-password admin --data-dir ${dir}".`);
    expect(m).not.toBeNull();
    expect((await call(first.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: m![1] })).status).toBe(200);
    expect(await first.stop()).toBe(0);

    // The command as printed, run from another directory.
    const reset = runBinary(/run "footfall (.+)"\.$/.exec(hint!)![1]!.split(' '));
    expect(reset.code).toBe(0);
    const fresh = /new password for "admin": (\S+)/.exec(reset.stdout)![1]!;
    expect(fresh).not.toBe(m![1]);
    expect(runBinary(['user', 'reset-password', 'nobody', '--data-dir', dir]).code).toBe(1);

    const second = await startBinary([], {}, dir);
    try {
      expect(second.log()).not.toContain('created user');
      expect((await call(second.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: m![1] })).status).toBe(401);
      expect((await call(second.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: fresh })).status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('keeps answering other requests while a large export streams to a fast client', async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD });
    try {
      const { token } = (await (await call(ff.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).json()) as { token: string };
      const site = (await (await call(ff.url, 'POST', '/api/websites', token, { name: 'Big', domain: 'big.example' })).json()) as { id: string };
      const db = openDatabase(join(ff.dataDir, 'footfall.db'));
      const store = new SqliteEventStore(db);
      for (let from = 0; from < 100_000; from += 10_000) store.insertBatchSync(Array.from({ length: 10_000 }, (_, i) => makeEvent(from + i, { websiteId: site.id })));
      db.close();

      const res = await call(ff.url, 'GET', `/api/websites/${site.id}/export`, token);
      const reader = res.body!.getReader();
      let lines = 0;
      const count = (b: Uint8Array) => {
        for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
      };
      count((await reader.read()).value!);
      // Health checks sent once the export has begun must be answered before it ends.
      let exportDone = false;
      const probes = (async () => {
        const answeredDuringExport: boolean[] = [];
        for (let i = 0; i < 5; i++) {
          expect((await fetch(ff.url + '/api/v1/healthcheck')).status).toBe(200);
          answeredDuringExport.push(!exportDone);
        }
        return answeredDuringExport;
      })();
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        count(r.value);
      }
      exportDone = true;
      expect(await probes).toEqual([true, true, true, true, true]);
      expect(lines).toBe(100_000);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  });
});
