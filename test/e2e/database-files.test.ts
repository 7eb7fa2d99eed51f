import { describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, startBinary, type Running } from '../helpers/binary.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const pageview = (ff: Running, path: string) =>
  fetch(`${ff.url}/api/v1/events/pageviews`, { method: 'POST', headers: { origin: 'https://example.com', 'x-prisme-referrer': `https://example.com${path}`, 'user-agent': FIREFOX } });

/** Polls `check` until it holds or `ms` pass: the server's flush and its file watch run on their own timers. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await Bun.sleep(50);
  }
}

const count = (db: string): number => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.query('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    d.close();
  }
};

describe("dist/footfall and the files beside its database", () => {
  for (const file of ['-wal', '-shm']) {
    it(`stops (status 3) when SQLite's ${file} file is removed while it runs, writing every event it acknowledged into the database first`, async () => {
      const ff = await startBinary(['--origins', 'example.com']);
      const db = join(ff.dataDir, 'footfall.db');
      for (const path of ['/a', '/b', '/c']) expect((await pageview(ff, path)).status).toBe(200);
      await until(() => count(db) === 3, 5000, 'three pageviews committed');
      rmSync(`${db}${file}`);
      // Sent after the removal, until the server stops (its look comes within 2 s): each one
      // answered 200 is committed into the open, nameless WAL or still buffered, and must be kept.
      let acknowledged = 3;
      for (let i = 0; i < 200 && ff.proc.exitCode === null; i++) {
        const r = await pageview(ff, `/after/${i}`).catch(() => null);
        if (r?.status === 200) acknowledged++;
        await Bun.sleep(20);
      }
      expect(await ff.proc.exited).toBe(3);
      const log = await ff.finalLog;
      expect(log).toContain(`footfall.db${file}, SQLite's file beside the database, was removed while running: stopping after writing what is buffered`);
      expect(log).toContain('stopped cleanly');
      expect(acknowledged).toBeGreaterThan(3);
      const d = new Database(db, { readonly: true });
      expect([d.query('SELECT count(*) AS n FROM events').get(), d.query('PRAGMA integrity_check').get()]).toEqual([{ n: acknowledged }, { integrity_check: 'ok' }]);
      d.close();
    }, 30_000);
  }

  it("waits for a reader's old snapshot to end before it stops for a removed -wal, so that what only the removed WAL held reaches the database (--ack durable)", async () => {
    const ff = await startBinary(['--origins', 'example.com', '--ack', 'durable']);
    const db = join(ff.dataDir, 'footfall.db');
    // Another process in a read transaction (a sqlite3 shell, a backup tool): no checkpoint copies
    // past its snapshot while it lasts. It dies without closing (kill -9), so it copies nothing itself.
    const reader = Bun.spawn([process.execPath, '-e', `const d = new (require('bun:sqlite').Database)(${JSON.stringify(db)}, { readonly: true }); d.exec('BEGIN'); d.query('SELECT count(*) FROM events').get(); console.log('reading'); setInterval(() => {}, 1000);`], { stdout: 'pipe', stderr: 'inherit' });
    try {
      const first = await reader.stdout.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain('reading');
      for (let i = 0; i < 5; i++) expect((await pageview(ff, `/p${i}`)).status).toBe(200);
      rmSync(`${db}-wal`);
      await until(() => ff.log().includes("footfall.db-wal, SQLite's file beside the database, was removed"), 5000, 'the removal seen');
      // The stop now waits for the reader; once it is gone, the WAL is copied and the server exits.
      await Bun.sleep(500);
      expect(ff.proc.exitCode).toBeNull();
      reader.kill(9);
      expect(await ff.proc.exited).toBe(3);
      expect(await ff.finalLog).toContain('stopped cleanly');
      expect(count(db)).toBe(5);
    } finally {
      reader.kill(9);
    }
  }, 60_000);

  it('makes its lock again when footfall.lock is removed while it runs, so that a second serve on the data directory still exits 5', async () => {
    const ff = await startBinary();
    try {
      const lock = join(ff.dataDir, 'footfall.lock');
      rmSync(lock);
      for (const f of [`${lock}-journal`]) if (existsSync(f)) rmSync(f);
      await until(() => ff.log().includes('footfall.lock was removed or replaced while running: made again'), 5000, 'the lock made again');
      expect(existsSync(lock)).toBe(true);
      const second = runBinary(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', ff.dataDir]);
      expect(second.code).toBe(5);
      expect(second.stderr).toContain('another footfall serve is using the data directory');
      expect((await fetch(`${ff.url}/api/v1/healthcheck`)).status).toBe(200);
    } finally {
      expect(await ff.stop()).toBe(0);
    }
  }, 30_000);

  it('cuts its WAL back once checkpoints catch up after a long reader let it grow', async () => {
    const ff = await startBinary([], { FOOTFALL_ADMIN_PASSWORD: 'database-files-password' });
    const db = join(ff.dataDir, 'footfall.db');
    const wal = () => statSync(`${db}-wal`).size;
    const reader = new Database(db, { readonly: true });
    try {
      const login = await fetch(`${ff.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'database-files-password' }) });
      const { token } = (await login.json()) as { token: string };
      const site = (await (await fetch(`${ff.url}/api/websites`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Big', domain: 'big.example' }) })).json()) as { writeKey: string };
      const track = (pad: number) =>
        fetch(`${ff.url}/v1/track`, { method: 'POST', headers: { authorization: `Basic ${btoa(`${site.writeKey}:`)}`, 'content-type': 'application/json' }, body: JSON.stringify({ anonymousId: 'a', event: 'Big', properties: { pad: 'x'.repeat(pad) } }) });
      // A sqlite3 shell's open read: no checkpoint copies past its snapshot while it lasts.
      reader.exec('BEGIN');
      reader.query('SELECT count(*) FROM events').get();
      for (let i = 0; i < 12; i++) expect((await track(3_000_000)).status).toBe(200);
      await until(() => wal() > 48 * 1024 * 1024, 10_000, 'the WAL past 48 MB');
      reader.exec('COMMIT');
      // Checkpoints now catch up, and the WAL starts over at a later commit, cut back to 32 MiB.
      await until(async () => {
        expect((await track(10)).status).toBe(200);
        return wal() <= 32 * 1024 * 1024;
      }, 10_000, 'the WAL cut back to 32 MiB');
      // Nothing it took was lost on the way: the twelve big ones and the small ones are all stored.
      await until(() => count(db) >= 13, 5000, 'every event stored');
    } finally {
      reader.close();
      expect(await ff.stop()).toBe(0);
    }
  }, 60_000);
});
