/**
 * @module WAL checkpoints off the writer's commit path: PASSIVE checkpoints on a connection of
 * their own (run in a thread of their own by the threaded store with `--ack durable`), the
 * writer's own kept as a backstop.
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

/** One PASSIVE checkpoint: copies what it can without waiting for the writer or for readers. */
export function checkpointOnce(db: Database): CheckpointRound {
  const [busy, walFrames, checkpointed] = db.query('PRAGMA wal_checkpoint(PASSIVE)').values()[0] as number[];
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
