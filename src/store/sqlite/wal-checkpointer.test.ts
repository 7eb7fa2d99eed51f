import { describe, expect, it } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { makeEvent } from '../../../test/helpers/events.ts';
import { openDatabase } from './open-database.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';
import { sourceWorkerUrls, ThreadedSqliteEventStore } from './threaded-event-store.ts';
import { checkpointCaughtUp, checkpointOnce, WRITER_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.ts';

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** A writer connection that never checkpoints by itself, and `n` events committed through it in batches of 100. */
function writeWithoutCheckpoints(path: string, n: number) {
  const writer = openDatabase(path);
  writer.exec('PRAGMA wal_autocheckpoint = 0');
  const store = new SqliteEventStore(writer);
  for (let i = 0; i < n; i += 100) store.insertBatchSync(Array.from({ length: 100 }, (_, k) => makeEvent(i + k)));
  return writer;
}

describe('WAL checkpointer', () => {
  it('copies every frame of the WAL into the database file from a connection of its own', () => {
    const path = join(tempDir('footfall-ckpt-'), 'footfall.db');
    const writer = writeWithoutCheckpoints(path, 2000);
    const before = size(path);
    const other = openDatabase(path);
    const r = checkpointOnce(other);
    expect(r.busy).toBe(false);
    expect(r.walFrames).toBeGreaterThan(20);
    expect(r.checkpointed).toBe(r.walFrames);
    expect(size(path)).toBeGreaterThan(before);
    // A commit that finds every frame copied starts the WAL again from its beginning.
    new SqliteEventStore(writer).insertBatchSync([makeEvent(99_999)]);
    expect(checkpointOnce(other).walFrames).toBeLessThan(r.walFrames);
    other.close();
    writer.close();
  });

  it('leaves the frames an open reader still needs, and copies them on a later round', () => {
    const path = join(tempDir('footfall-ckpt-'), 'footfall.db');
    const writer = writeWithoutCheckpoints(path, 500);
    const reader = openDatabase(path);
    const other = openDatabase(path);
    // An open read transaction holds its snapshot: frames committed after it cannot be copied yet.
    reader.exec('BEGIN');
    reader.query('SELECT count(*) FROM events').get();
    new SqliteEventStore(writer).insertBatchSync(Array.from({ length: 100 }, (_, k) => makeEvent(10_000 + k)));
    const held = checkpointCaughtUp(other);
    expect(held.busy).toBe(false);
    expect(held.checkpointed).toBeLessThan(held.walFrames);
    reader.exec('COMMIT');
    const free = checkpointCaughtUp(other);
    expect(free.busy).toBe(false);
    expect(free.checkpointed).toBe(free.walFrames);
    for (const db of [reader, other, writer]) db.close();
  });

  it('runs in its own thread beside the writer, which then leaves checkpoints to it', async () => {
    const path = join(tempDir('footfall-ckpt-'), 'footfall.db');
    const store = await ThreadedSqliteEventStore.open(path, openDatabase(path), sourceWorkerUrls());
    expect(await store.checkpointerRunning()).toBe(true);
    const empty = size(path);
    // ~2,000 events: far below the writer's own backstop, so only the checkpointer copies them.
    for (let b = 0; b < 20; b++) await store.insertPending(Array.from({ length: 100 }, (_, k) => makeEvent(b * 100 + k)));
    const walPages = size(`${path}-wal`) / 4096;
    expect(walPages).toBeLessThan(WRITER_AUTOCHECKPOINT_PAGES);
    // The checkpointer looks every 100 ms: wait (up to 5 s) for the database file to take the events.
    const deadline = performance.now() + 5000;
    while (size(path) < empty + 200_000 && performance.now() < deadline) await Bun.sleep(20);
    expect(size(path)).toBeGreaterThan(empty + 200_000);
    expect(await store.count()).toBe(2000);
    await store.close();
  });

  it('is optional: without its module the store still writes, and says the thread is not running', async () => {
    const path = join(tempDir('footfall-ckpt-'), 'footfall.db');
    const store = await ThreadedSqliteEventStore.open(path, openDatabase(path), { ...sourceWorkerUrls(), checkpointer: null });
    expect(await store.checkpointerRunning()).toBe(false);
    await store.insertPending([makeEvent(1), makeEvent(2)]);
    expect(await store.count()).toBe(2);
    await store.close();
  });
});
