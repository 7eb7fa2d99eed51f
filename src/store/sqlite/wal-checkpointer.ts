/**
 * @module WAL checkpoints: PASSIVE ones off the writer's commit path, on a connection of their
 * own (run in a thread of their own by the threaded store with `--ack durable`), the writer's own
 * kept as a backstop; and TRUNCATE ones that copy the whole WAL (after a migration, at a stop
 * whose WAL lost its name).
 *
 * Why: with SQLite's default, the connection whose commit takes the WAL past 1,000 pages copies
 * the WAL into the database and syncs both files, there and then. That connection is the event
 * writer, so every few thousand events one batch waits for two fsyncs. With `--ack durable` each
 * answer waits for its batch's commit: under the mixed load p99 was 17.5–20.6 ms with the writer
 * checkpointing (4 runs) and 8.0–10.8 ms with this thread (5 runs; req/s 16.3–21.0k against
 * 17.8–21.5k, the same hour). A PASSIVE checkpoint on another connection copies and syncs while
 * the writer goes on committing.
 * With `--ack buffered` no answer waits for a commit: there the thread changed neither req/s nor
 * p99 (2 runs each) and would cost ~4 MB of RSS (a thread's own runtime), which the 1M-address
 * bound of 150 MB cannot spare, so buffered mode keeps SQLite's default.
 */
import type { Database } from 'bun:sqlite';

/** SQLite's own default: the connection whose commit takes the WAL past 1,000 pages checkpoints. */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/**
 * With the checkpointer thread, the writer checkpoints by itself only past this many WAL pages
 * (32 MB of 4 KB pages): a bound on the WAL if the thread is gone or falls behind.
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 8192;

/** How often the checkpointer looks: at ~30k events/s the WAL gains ~300 pages in that time. */
export const CHECKPOINT_EVERY_MS = 100;

export interface CheckpointRound {
  /** Another checkpoint held the lock: nothing was done this round. */
  busy: boolean;
  /**
   * Frames in the WAL, and how many of them are now in the database file. Fewer are copied while
   * a reader's snapshot still needs the older pages (an export running); a later round copies them.
   */
  walFrames: number;
  checkpointed: number;
}

/**
 * One checkpoint. PASSIVE (the default) copies what it can without waiting for the writer or for
 * readers; TRUNCATE waits (the connection's busy timeout) for both, copies every frame and
 * empties the WAL file, or says busy when a reader's old snapshot is in the way.
 */
export function checkpointOnce(db: Database, mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): CheckpointRound {
  const [busy, walFrames, checkpointed] = db.query(`PRAGMA wal_checkpoint(${mode})`).values()[0] as number[];
  return { busy: busy === 1, walFrames: walFrames!, checkpointed: checkpointed! };
}

/**
 * Checkpoints until every frame is copied, at most `maxRounds` times: the writer may commit
 * during a round, and a WAL starts again from its beginning (instead of growing) only at a
 * commit that finds every frame already copied.
 */
export function checkpointCaughtUp(db: Database, maxRounds = 4): CheckpointRound {
  let r = checkpointOnce(db);
  for (let i = 1; i < maxRounds && !r.busy && r.checkpointed < r.walFrames; i++) r = checkpointOnce(db);
  return r;
}

/**
 * Copies the whole WAL into the database file (TRUNCATE checkpoints), trying again every 100 ms
 * while a reader's old snapshot is in the way, for up to `ms`: the WAL's frames not copied, 0 once
 * all are. For a stop whose WAL lost its name (watch-database-files.ts): the close's own
 * checkpoint would give up at once.
 */
export async function copyWalIntoDatabase(db: Database, ms: number): Promise<number> {
  const until = performance.now() + ms;
  for (;;) {
    let left: number;
    try {
      const r = checkpointOnce(db, 'TRUNCATE');
      left = !r.busy && r.walFrames === r.checkpointed ? 0 : Math.max(1, r.walFrames - r.checkpointed);
    } catch {
      left = 1; // SQLITE_BUSY past the connection's own wait: a reader or another checkpoint, as above
    }
    if (left === 0 || performance.now() >= until) return left;
    await Bun.sleep(100);
  }
}
