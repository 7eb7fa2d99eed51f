/**
 * @module Whether the database file at a path is still the one that was opened. SQLite writes to
 * the file it opened, whatever happens to its name: deleted, or replaced by `mv` (a backup put
 * back while running), it keeps writing to a file no path leads to, which the last close then
 * frees — every event stored meanwhile, acknowledged or not, is lost. (The stat is passed in: pure.)
 */

export interface FileIdentity {
  dev: number;
  ino: number;
}

/** A stat of the path now, or null when nothing is there. */
export type StatPath = () => FileIdentity | null;

/** 'same', or what became of the file: 'removed' (nothing at the path), 'replaced' (another file there). */
export function fileFate(opened: FileIdentity, now: FileIdentity | null): 'same' | 'removed' | 'replaced' {
  if (now === null) return 'removed';
  return now.dev === opened.dev && now.ino === opened.ino ? 'same' : 'replaced';
}

/**
 * A file kept beside the database while it is open (SQLite's `-wal` and `-shm`, the data
 * directory's lock), followed from one look to the next. Removed, or replaced by another, it
 * leaves the server on a file no path leads to: a second process (`footfall user`, a sqlite3
 * shell, a second `serve` once the lock is gone) would make a new one beside it, and the two would
 * disagree about the database (a WAL written where no one reads it, shared memory not shared: a
 * damaged file, as the fault audit saw). One not there yet is taken as it first appears.
 */
export class WatchedFile {
  constructor(
    readonly path: string,
    private opened: FileIdentity | null,
  ) {}

  /** What became of the file since it was opened, given a stat of its path now ('unknown': the stat failed otherwise, so nothing is said). */
  look(now: FileIdentity | null | 'unknown'): 'same' | 'removed' | 'replaced' {
    if (now === 'unknown') return 'same';
    if (this.opened === null) {
      this.opened = now;
      return 'same';
    }
    return fileFate(this.opened, now);
  }

  /** Follows the file now at the path from here on (one made again). */
  adopt(now: FileIdentity): void {
    this.opened = now;
  }
}

/**
 * The WAL grows while a reader keeps an old snapshot (a long export, a sqlite3 shell, a backup
 * tool): checkpoints cannot copy past it. Said once it passes `warnBytes`, again each time it
 * doubles, and once it is back under: `warned` is the size last warned of (0: none).
 */
export function walGrowth(warned: number, bytes: number, warnBytes: number): { say: 'grown' | 'back' | null; warned: number } {
  if (bytes >= warnBytes && bytes >= 2 * warned) return { say: 'grown', warned: bytes };
  if (warned > 0 && bytes < warnBytes) return { say: 'back', warned: 0 };
  return { say: null, warned };
}
