import { describe, expect, it } from 'bun:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { join } from 'node:path';
import { Database } from 'bun:sqlite';
import { LATEST_VERSION } from './migrations.ts';
import { CACHE_KIB, DatabaseTooNewError, openDatabase, schemaVersion } from './open-database.ts';

const tempDb = () => join(tempDir('footfall-db-'), 'footfall.db');

describe('openDatabase', () => {
  it('creates the schema at the latest version in WAL mode with synchronous=NORMAL', () => {
    const db = openDatabase(tempDb());
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect((db.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect((db.query('PRAGMA synchronous').get() as { synchronous: number }).synchronous).toBe(1);
    expect((db.query('PRAGMA busy_timeout').get() as Record<string, number>).timeout).toBe(5000);
    // A small page cache per connection (negative: KiB), not SQLite's 2 MB.
    expect((db.query('PRAGMA cache_size').get() as { cache_size: number }).cache_size).toBe(-CACHE_KIB);
    db.close();
  });

  it('applies only the migrations a database lacks, each in its own transaction', () => {
    const path = tempDb();
    const m1 = { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER);' };
    const m2 = { version: 2, name: 'b', sql: 'CREATE TABLE b (y INTEGER);' };
    openDatabase(path, [m1]).close();
    const db = openDatabase(path, [m1, m2]);
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });

  it('says when it upgrades a database and when it is done, and leaves no write-ahead log the size of the rewrite', () => {
    const path = tempDb();
    const m1 = { version: 1, name: 'a', sql: 'CREATE TABLE a (x TEXT);' };
    const m2 = { version: 2, name: 'rewrite a', sql: 'UPDATE a SET x = lower(x);' };
    const first = openDatabase(path, [m1], () => {
      throw new Error('a new database is not an upgrade');
    });
    first.exec('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO a SELECT hex(randomblob(200)) FROM n');
    first.close();
    const said: [string, Record<string, unknown>][] = [];
    const db = openDatabase(path, [m1, m2], (msg, fields) => said.push([msg, fields]));
    expect(said.map(([msg]) => msg)).toEqual([expect.stringContaining('upgrading the database'), expect.stringContaining('database upgraded')]);
    expect(said[0]![1]).toMatchObject({ fromVersion: 1, toVersion: 2, steps: ['rewrite a'] });
    expect(said[1]![1]).toMatchObject({ seconds: expect.any(Number), walTruncated: true });
    expect(Bun.file(`${path}-wal`).size).toBe(0);
    db.close();
  });

  it('leaves the database at the last good version when a migration fails', () => {
    const path = tempDb();
    const m1 = { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER);' };
    const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE c (z INTEGER); THIS IS NOT SQL;' };
    openDatabase(path, [m1]).close();
    expect(() => openDatabase(path, [m1, bad])).toThrow();
    const raw = new Database(path);
    expect(schemaVersion(raw)).toBe(1);
    expect(raw.query("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeNull();
    raw.close();
  });

  it('refuses a database written by a newer Footfall, naming both versions', () => {
    const path = tempDb();
    const raw = new Database(path, { create: true });
    raw.exec(`PRAGMA user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    let err: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatabaseTooNewError);
    expect(String((err as Error).message)).toContain(`schema version ${LATEST_VERSION + 5}`);
  });
});
