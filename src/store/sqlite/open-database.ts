/** @module Opens footfall.db: pragmas for one writer in WAL mode, then the pending migrations, each in a transaction. */
import { Database } from 'bun:sqlite';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations.ts';
import { checkpointOnce } from './wal-checkpointer.ts';

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number, path: string) {
    super(
      `${path} has schema version ${found}, but this Footfall knows versions up to ${supported}: ` +
        `it was written by a newer Footfall. Run that version (or a newer one) instead; refusing to start.`,
    );
  }
}

/** The database needs upgrading and `openDatabase` was told not to (a server of the older version is using it). */
export class UpgradeRefusedError extends Error {
  constructor(readonly found: number, readonly latest: number, path: string, why: string) {
    super(`${path} has schema version ${found} and this Footfall would upgrade it to ${latest}, but ${why}`);
  }
}

/**
 * Why the database at `path` cannot be used, in one line naming the file, when `e` says so: a
 * newer Footfall's schema, or one of SQLite's own errors (not a database, not writable, locked).
 * Null for anything else: that is a bug, to be thrown on, not a message for the operator.
 */
export function unusableDatabase(e: unknown, path: string): string | null {
  if (e instanceof DatabaseTooNewError || e instanceof UpgradeRefusedError) return e.message;
  if (/^SQLITE_/.test(String((e as { code?: unknown } | null)?.code))) return `cannot use the database ${path}: ${(e as Error).message}`;
  return null;
}

export function schemaVersion(db: Database): number {
  return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/** Each connection's page cache, KiB. */
export const CACHE_KIB = 256;
/**
 * The WAL's size once it starts over after a checkpoint: above the ~4 MB of normal running. Behind a
 * checkpointer thread that falls behind it reaches the writer's backstop, 8,192 frames (~34 MB), and
 * each start over then cuts it back a little (one ftruncate, nothing measurable).
 */
export const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

/** What a migration run says: that it starts (it may take a while), and when it is done. */
export type MigrationReport = (msg: string, fields: Record<string, unknown>) => void;

/**
 * ':memory:' works too (tests). `report` hears of a migration run, if one is needed.
 * `refuseUpgrade`: why the pending migrations must not run now; with it, a database that needs
 * them is not changed and UpgradeRefusedError says so.
 */
export function openDatabase(path: string, migrations: Migration[] = MIGRATIONS, report?: MigrationReport, refuseUpgrade?: string): Database {
  const db = new Database(path, { create: true, strict: true });
  try {
    // Wait rather than fail when a backup or sqlite3 shell holds a lock for a moment.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL in WAL mode: a commit is durable against a process crash; a power cut may lose the
    // last commits but never corrupts. Set explicitly: the compiled-in default is FULL.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA temp_store = MEMORY');
    // A page cache of 256 KiB per connection instead of SQLite's 2 MB: inserts only touch the
    // right edges of the table and its two indexes, exports read each page once, and the OS
    // caches the file anyway. Measured at 300k events: 4.5–4.8 µs per inserted row and 2.9–3.3 µs
    // per exported event either way; with three connections (server, writer, checkpointer) the
    // 1M-address load ran 2–3 MB lower and its export read-back 1–5 MB lower.
    db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
    // A WAL that a long reader let grow (checkpoints cannot copy past its snapshot: 196 MB in the
    // fault audit) is cut back to this once checkpoints catch up and it starts over; SQLite keeps
    // the file's size otherwise, for as long as the server runs.
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db, path, migrations, report, refuseUpgrade);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Database, path: string, migrations: Migration[], report?: MigrationReport, refuseUpgrade?: string): void {
  const current = schemaVersion(db);
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : LATEST_VERSION;
  if (current > latest) throw new DatabaseTooNewError(current, latest, path);
  const pending = migrations.filter((m) => m.version > current);
  if (!pending.length) return;
  if (refuseUpgrade !== undefined) throw new UpgradeRefusedError(current, latest, path, refuseUpgrade);
  // A fresh database (version 0) is only being created: nothing to tell.
  const tell = current > 0 ? report : undefined;
  tell?.('upgrading the database to this version (a large one may take a minute; stopped, it starts over at the next start)', {
    path, fromVersion: current, toVersion: latest, steps: pending.map((m) => m.name),
  });
  const started = performance.now();
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    }).immediate();
  }
  // Every page the migration wrote went through the write-ahead log, which would otherwise stay
  // that size (as large as the database, after a rewrite of its events) until a clean stop.
  // Another process reading (a backup, a sqlite3 shell) keeps it from truncating: said, not fatal.
  const checkpoint = checkpointOnce(db, 'TRUNCATE');
  tell?.('database upgraded; a Footfall older than this one can no longer open it', {
    path, fromVersion: current, toVersion: latest, seconds: Math.round(performance.now() - started) / 1000, walTruncated: !checkpoint.busy,
  });
}
