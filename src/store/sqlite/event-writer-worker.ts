/** @module The event writer thread: batches from the main thread (JSON text of rows, see eventRow, and deferred hits) → events built, one transaction each on its own SQLite connection. */
import type { DropTally } from '../../ingest/drop-reasons.ts';
import { eventBuilders, materialiseCounted, type DeferredHit } from '../../ingest/pending-event.ts';
import type { CacheStats } from '../../ingest/user-agent.ts';
import { openDatabase } from './open-database.ts';
import { eventRow, SqliteEventStore, type EventRow } from './sqlite-event-store.ts';

declare const self: Worker;

export type WriterRequest = { kind: 'open'; path: string; autocheckpointPages: number } | { kind: 'batch'; id: number; json: string; epoch: number } | { kind: 'close' };
export type WriterReply =
  | { kind: 'opened' }
  | { kind: 'done'; id: number; error?: string; dropped?: DropTally; uaCache: CacheStats }
  | { kind: 'closed' }
  | { kind: 'failed'; error: string };

let store: SqliteEventStore | null = null;
let db: ReturnType<typeof openDatabase> | null = null;
// Its own caches (UA, URL): a RudderStack SDK's context.userAgent is known only once the query is mapped, here.
const builders = eventBuilders();
/**
 * The epoch of the last batch that failed: later batches of it were sent before the main thread
 * knew, and are answered with an error unwritten, so that nothing is stored ahead of the retry.
 */
let failedEpoch: number | null = null;

/**
 * A batch's items as rows, built one at a time as the insert takes them: rows (arrays) pass as
 * they are; deferred hits become rows, or a reason in `tally`. Each item is let go once used.
 */
function* rowsOf(items: (EventRow | DeferredHit | undefined)[], tally: DropTally): Generator<EventRow> {
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    items[i] = undefined;
    if (Array.isArray(item)) {
      yield item;
      continue;
    }
    const e = materialiseCounted(item, builders, tally);
    if (e) yield eventRow(e);
  }
}

self.onmessage = (ev: MessageEvent<WriterRequest>) => {
  const m = ev.data;
  switch (m.kind) {
    case 'open':
      try {
        // The main thread has already migrated the file; this only opens it with the same pragmas.
        db = openDatabase(m.path);
        // With a checkpointer thread (wal-checkpointer.ts) this is only its backstop.
        db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(m.autocheckpointPages)}`);
        store = new SqliteEventStore(db);
        self.postMessage({ kind: 'opened' } satisfies WriterReply);
      } catch (e) {
        self.postMessage({ kind: 'failed', error: String(e) } satisfies WriterReply);
      }
      return;
    case 'batch':
      if (m.epoch === failedEpoch) {
        self.postMessage({ kind: 'done', id: m.id, error: 'not written: an earlier batch failed', uaCache: builders.ua.stats() } satisfies WriterReply);
        return;
      }
      try {
        const tally: DropTally = {};
        store!.insertRowsSync(rowsOf(JSON.parse(m.json) as (EventRow | DeferredHit)[], tally), () => {
          tally['invalid-input'] = (tally['invalid-input'] ?? 0) + 1;
        });
        const uaCache = builders.ua.stats();
        self.postMessage((Object.keys(tally).length ? { kind: 'done', id: m.id, dropped: tally, uaCache } : { kind: 'done', id: m.id, uaCache }) satisfies WriterReply);
      } catch (e) {
        failedEpoch = m.epoch;
        self.postMessage({ kind: 'done', id: m.id, error: String(e), uaCache: builders.ua.stats() } satisfies WriterReply);
      }
      return;
    case 'close':
      void store?.close();
      db?.close();
      self.postMessage({ kind: 'closed' } satisfies WriterReply);
      return;
  }
};
