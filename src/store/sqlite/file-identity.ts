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
