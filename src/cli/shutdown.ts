/** @module The server's stop, in reverse order of opening: stop accepting, drain the write buffer, close the store; → the exit status. */
import type { WriteBuffer } from '../buffer/write-buffer.ts';
import { drainDeadlineMs } from '../buffer/write-buffer.ts';
import type { Logger } from '../lib/log.ts';
import { EXIT_DATABASE, EXIT_FAILURE } from './exit-codes.ts';

/** Reverse order of opening: stop accepting, drain the buffer, close the store. */
export async function shutdown(
  log: Logger,
  /** null when it never listened */
  server: { stop(force?: boolean): Promise<void> } | null,
  buffer: WriteBuffer,
  counters: () => Record<string, unknown>,
  closeStore: () => Promise<void>,
  bufferMax: number,
  /**
   * The database file was removed or replaced (`fate`), what the buffer held then, and how often
   * the file was checked (what was stored since the last check is lost too): nothing more is
   * written into the old one.
   */
  fileLost?: { fate: string; waiting: number; checkEveryMs: number },
  /**
   * The WAL was removed while running (watch-database-files.ts): what it holds is in no file a
   * path leads to, and the close's own checkpoint gives up if a reader's snapshot is in the way.
   * Copies it into the database first (its frames left when it cannot, 0 once done).
   */
  copyWal?: () => Promise<number>,
): Promise<number> {
  // Give in-flight requests a moment to finish answering, then cut idle keep-alive connections.
  // Requests still waiting for their commit (--ack durable, the database not taking writes) get
  // their 503 + Retry-After first, instead of a reset connection: their events stay queued and
  // are written by the drain below, as every late ack's are.
  if (server) {
    const stopped = server.stop(false);
    await Promise.race([stopped, Bun.sleep(2_000)]);
    if (buffer.answerWaitingLate() > 0) await Promise.race([stopped, Bun.sleep(500)]);
    void server.stop(true);
  }
  if (fileLost) {
    buffer.close();
    await closeStore();
    log.error(`events lost with the database file ${fileLost.fate} while running`, {
      waiting: fileLost.waiting, alsoLost: `what was stored in the ${fileLost.checkEveryMs / 1000} s before the change was seen`, committed: buffer.snapshot().committed,
    });
    return EXIT_DATABASE;
  }
  await buffer.drain(drainDeadlineMs(bufferMax));
  // A write still under way past the deadline and the lock's wait (a frozen or failing disk): the
  // close below waits for it, so say so first; whatever it comes to is counted after the close.
  if (buffer.beingWritten > 0) {
    log.error('a write is still under way past the flush deadline (a frozen or failing disk?): closing the database waits for it; a second signal exits without waiting', {
      beingWritten: buffer.beingWritten, waiting: buffer.size - buffer.beingWritten, writingForMs: buffer.snapshot().writingForMs,
    });
  }
  const framesLeft = copyWal ? await copyWal() : 0;
  await closeStore();
  const stats = buffer.snapshot();
  if (framesLeft > 0) {
    log.error('the WAL removed while running could not be copied into the database: a reader kept an old snapshot open (a sqlite3 shell, a backup tool) until the deadline; what it held since the last checkpoint is lost with it', { framesLeft, committed: stats.committed });
    return EXIT_DATABASE;
  }
  if (buffer.size > 0) {
    log.error('could not write every buffered event before exit', { lost: buffer.size, committed: stats.committed });
    return EXIT_FAILURE;
  }
  log.info('stopped cleanly', { committed: stats.committed, flushFailures: stats.flushFailures, rejectedFull: stats.rejectedFull, lateAcks: stats.lateAcks, ...counters() });
  return 0;
}

