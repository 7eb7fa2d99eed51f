/**
 * The binary under a wall clock that is stepped while it runs (libfaketime: a VM booted a year
 * ahead then corrected by NTP, a clock reset to zero). The monotonic clock stays real.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type Running } from '../helpers/binary.ts';

/** Debian's libfaketime, under whichever multiarch directory this machine has. */
const FAKETIME = [...new Bun.Glob('usr/lib/*/faketime/libfaketimeMT.so.1').scanSync({ cwd: '/', absolute: true })][0];
const ADMIN_PASSWORD = 'clock-steps-admin-password';
const ORIGIN = 'https://shop.example';

/** `describe`, or `describe.skip` with a warning when libfaketime is missing outside CI (CI installs it, so there it must run). */
function faketimeDescribe(name: string): typeof describe | typeof describe.skip {
  if (FAKETIME || process.env.CI) return describe;
  console.warn(`${name}: libfaketime not installed; skipping (apt-get install libfaketime)`);
  return describe.skip;
}

/** A wall clock the test sets: libfaketime reads the offset from the file at every call. */
function fakeClock() {
  const file = join(tempDir('footfall-faketime-'), 'offset');
  const set = (iso: string) => {
    const offsetS = (Date.parse(iso) - Date.now()) / 1000;
    writeFileSync(file, `${offsetS >= 0 ? '+' : ''}${offsetS.toFixed(3)}\n`);
  };
  const env = { LD_PRELOAD: FAKETIME ?? 'libfaketime is not installed', FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', FOOTFALL_ADMIN_PASSWORD: ADMIN_PASSWORD };
  return { set, env };
}

const servers: Running[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function start(env: Record<string, string>, dataDir = tempDir()): Promise<Running> {
  const s = await startBinary(['--origins', 'shop.example'], env, dataDir);
  servers.push(s);
  return s;
}

/** A pageview from a browser of its own (a new session, so a visitor id and the day's salt). */
const pageview = (s: Running, firefox = 120) =>
  fetch(`${s.url}/api/v1/events/pageviews`, { method: 'POST', headers: { origin: ORIGIN, 'x-prisme-referrer': `${ORIGIN}/`, 'user-agent': `Mozilla/5.0 (X11; Linux x86_64) Firefox/${firefox}.0` } });

/** The days whose salts footfall.db holds (read beside the running server: WAL lets it). */
function saltDays(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'footfall.db'), { readonly: true });
  try {
    return (db.query('SELECT day FROM salts ORDER BY day').all() as { day: string }[]).map((r) => r.day);
  } finally {
    db.close();
  }
}

faketimeDescribe('the binary under a stepped wall clock')('the binary under a stepped wall clock', () => {
  it('deletes at start the salts of days no longer kept, with no hit needed, and a salt made while the clock ran a year ahead once it is put right', async () => {
    const clock = fakeClock();
    clock.set('2030-03-16T12:00:00Z');
    const dataDir = tempDir();
    let s = await start(clock.env, dataDir);
    expect((await pageview(s)).status).toBe(200);
    expect(saltDays(dataDir)).toEqual(['2030-03-16']);
    expect(await s.stop()).toBe(0);

    clock.set('2030-03-19T12:00:00Z');
    s = await start(clock.env, dataDir);
    expect(saltDays(dataDir)).toEqual([]);

    clock.set('2031-06-01T12:00:00Z');
    expect((await pageview(s, 121)).status).toBe(200);
    expect(saltDays(dataDir)).toEqual(['2031-06-01']);
    clock.set('2030-03-19T12:00:05Z');
    expect((await pageview(s, 122)).status).toBe(200);
    expect(saltDays(dataDir)).toEqual(['2030-03-19']);
  });

  it('takes a pageview stamped before 1970 (a clock reset to zero) with 200, not 500', async () => {
    const clock = fakeClock();
    clock.set('1969-12-31T23:59:50Z');
    const s = await start(clock.env);
    const res = await pageview(s);
    expect([res.status, await res.text()]).toEqual([200, '']);
    expect(s.log()).not.toContain('unhandled error');
  });

  it('holds a throttled login for what Retry-After says, whether the wall clock is stepped forward or back', async () => {
    const clock = fakeClock();
    clock.set('2030-03-16T12:00:00Z');
    const s = await start(clock.env);
    const login = (password: string) => fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    for (let i = 0; i < 5; i++) expect((await login('not the password')).status).toBe(401);
    // Ten minutes forward would have refilled the bucket by the wall clock.
    clock.set('2030-03-16T12:10:00Z');
    const forward = await login(ADMIN_PASSWORD);
    expect(forward.status).toBe(429);
    // An hour back would have held it for the hour.
    clock.set('2030-03-16T11:00:00Z');
    const back = await login(ADMIN_PASSWORD);
    expect(back.status).toBe(429);
    expect(Number(back.headers.get('retry-after'))).toBeLessThanOrEqual(180);
    expect(Number(back.headers.get('retry-after'))).toBeGreaterThan(170);
  });
});
