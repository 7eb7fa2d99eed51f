/**
 * @module One `footfall serve` per data directory: a lock the operating system releases when the
 * process ends, however it ends (SIGKILL included), so there is no stale lock file to clean up.
 *
 * Two servers on one database would each keep their own caches of what the management API
 * changes (website domains as Prisme origins, write keys, pixel slugs): a website created through
 * one is refused by the other's Prisme API, a write key rotated on one still works on the other.
 * SQLite's own locking is per transaction, so it lets them. The lock is an exclusive transaction
 * held open on a file of its own beside the database (SQLite's POSIX advisory locks).
 */
import { Database } from 'bun:sqlite';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const LOCK_FILE = 'footfall.lock';

export interface DataDirLock {
  release(): void;
}

/** Takes the data directory's lock, or returns null when another process holds it. Throws when the file cannot be made or opened. */
export function lockDataDir(dataDir: string): DataDirLock | null {
  const db = new Database(join(dataDir, LOCK_FILE), { create: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    // Rollback-journal mode: BEGIN EXCLUSIVE takes the file's exclusive lock at once.
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw e;
  }
  return {
    release() {
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}

/** Why the lock file could not be taken, in words, for the one line saying the data directory cannot be used. */
export function lockFileProblem(dataDir: string, e: unknown): string {
  const path = join(dataDir, LOCK_FILE);
  // SQLite needs room to lock even a lock file that is there already (the fault audit's full disk had one).
  if ((e as { code?: unknown } | null)?.code === 'SQLITE_FULL') return `its disk is full (no room to make or lock ${path})`;
  try {
    if (statSync(path).isDirectory()) return `${path} is a directory`;
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return `this user (uid ${process.getuid?.() ?? '?'}) may not open ${path}`;
    if (code !== 'ENOENT') return `cannot open ${path} (${code})`;
  }
  return `cannot open ${path}: ${(e as Error).message}`;
}

/** Why this user could neither write in the data directory nor create it, or null (a path that is no directory is config's). */
export function dataDirAccessIssue(dir: string): string | null {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return at === resolve(dir) ? `--data-dir: this user may not write in ${dir} (${code})` : `--data-dir: this user may not create ${dir} (${code} on ${at})`;
  }
}
