/**
 * @module watchDatabaseFiles: the database file and the files beside it, looked at every few
 * seconds while the server runs → a stop when one is removed or replaced, the lock taken again,
 * and a word in the log when the WAL keeps growing.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { LOCK_FILE } from './data-dir-lock.ts';
import { fileFate, walGrowth, WatchedFile, type FileIdentity } from './file-identity.ts';

/** The WAL size past which its growth is said (walGrowth): ~4 MB in normal running, ~34 MB at most behind a checkpointer that falls behind. */
export const WAL_WARN_BYTES = 128 * 1024 * 1024;

export interface DatabaseFilesWatch {
  dbPath: string;
  dataDir: string;
  everyMs: number;
  log: Logger;
  /** Whether a name still leads to the database file opened (asked of a descriptor of the caller's own). */
  stillNamed(): boolean;
  /** Takes the data directory's lock again, its file gone: false when another process holds it now. Throws when it cannot be made. */
  relock(): boolean;
  /**
   * Stops the server. `fileLost`: what became of the database file when nothing the buffer holds
   * can reach it any more ('removed', 'replaced'); otherwise the stop writes it first.
   * `reason` 'data-dir-taken' is another server's lock, status 5; every other reason, status 3.
   */
  stop(reason: string, fileLost?: string): void;
}

/** The file at `path` (device, inode, size), null when nothing is there, 'unknown' when the stat failed otherwise. */
function statFile(path: string): (FileIdentity & { size: number }) | null | 'unknown' {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino, size: st.size };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'unknown';
  }
}

const orNull = <T>(v: T | 'unknown'): T | null => (v === 'unknown' ? null : v);

/** Starts looking every `everyMs`; returns the function that stops it (before the server closes its files). */
export function watchDatabaseFiles(d: DatabaseFilesWatch): () => void {
  const { dbPath, log } = d;
  const opened = statFile(dbPath);
  // SQLite's files beside it. Removed or replaced, the open ones still work (a clean stop copies
  // the WAL into the database: nothing is lost), but the next process to open the database would
  // make new ones beside them: stop, writing what is buffered first, and a restart makes them again.
  const companions = ['-wal', '-shm'].map((suffix) => new WatchedFile(dbPath + suffix, orNull(statFile(dbPath + suffix))));
  const lockPath = join(d.dataDir, LOCK_FILE);
  const lockFile = new WatchedFile(lockPath, orNull(statFile(lockPath)));
  let walWarned = 0;
  let relockFailing = false;
  const timer = setInterval(() => {
    const now = statFile(dbPath);
    // A stat that failed for another reason than the file being gone (a permission changed on a
    // parent, a network filesystem's hiccup) says nothing about it: the open file still works.
    const fate = opened === null || opened === 'unknown' || now === 'unknown' ? 'same' : fileFate(opened, now);
    if (fate !== 'same') {
      clearInterval(timer);
      const livesOn = d.stillNamed();
      log.error(
        livesOn
          ? `the database file was ${fate === 'removed' ? 'moved' : 'moved away and another put in its place'} while running: stopping after writing what is buffered into it (under its new name); restarted, Footfall uses the file at the path`
          : `the database file was ${fate} while running: stopping, as what is stored from now on would be lost with the old file`,
        { path: resolve(dbPath) },
      );
      d.stop('database-' + fate, livesOn ? undefined : fate);
      return;
    }
    for (const c of companions) {
      const cFate = c.look(statFile(c.path));
      if (cFate === 'same') continue;
      clearInterval(timer);
      log.error(`${c.path.slice(c.path.lastIndexOf('/') + 1)}, SQLite's file beside the database, was ${cFate} while running: stopping after writing what is buffered (the open file still takes it), before another process opens the database beside it; restarted, Footfall makes it again`, { path: resolve(c.path) });
      d.stop('database-files-' + cFate);
      return;
    }
    if (lockFile.look(statFile(lockPath)) !== 'same') {
      // Deleted as a stale lock, most likely (there is none: the lock is the open file's). Taken
      // again, no second serve can start here; if one already has, this one leaves it the directory.
      let again: boolean | 'failed';
      try {
        again = d.relock();
      } catch (e) {
        again = 'failed';
        // Said once, tried again at every look (a full disk may have room again).
        if (!relockFailing) log.warn(`${LOCK_FILE} was removed while running and cannot be made again; tried again every ${d.everyMs / 1000} s`, { error: String(e) });
        relockFailing = true;
      }
      if (again === false) {
        clearInterval(timer);
        log.error(`${LOCK_FILE} was removed while running and another footfall serve has taken the data directory since: stopping, as two servers on one database disagree about what the management API changed`, { path: resolve(lockPath) });
        d.stop('data-dir-taken');
        return;
      }
      if (again === true) {
        relockFailing = false;
        // Removed again already, it is not adopted as nothing: the next look takes it again, and a
        // file another server puts there meanwhile is not taken for ours.
        const made = orNull(statFile(lockPath));
        if (made) lockFile.adopt(made);
        log.warn(`${LOCK_FILE} was removed or replaced while running: made again, so that no second footfall serve starts on this data directory`, { path: resolve(lockPath) });
      }
    }
    const wal = statFile(companions[0]!.path);
    const growth = walGrowth(walWarned, wal !== null && wal !== 'unknown' ? wal.size : 0, WAL_WARN_BYTES);
    walWarned = growth.warned;
    if (growth.say === 'grown') log.warn('the WAL keeps growing: checkpoints cannot copy it into the database while a reader holds an old snapshot (a long export, a sqlite3 shell, a backup tool); it is cut back once they end', { path: resolve(companions[0]!.path), walMB: Math.round(growth.warned / 1048576) });
    else if (growth.say === 'back') log.info('checkpoints caught up: the WAL is back under its warning size', { path: resolve(companions[0]!.path) });
  }, d.everyMs);
  return () => clearInterval(timer);
}
