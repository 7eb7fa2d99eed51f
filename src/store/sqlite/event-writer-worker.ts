/** @module The event writer thread: batches (rows as JSON text, see eventRow) from the main thread → one transaction each on its own SQLite connection. */
import { openDatabase } from './open-database.ts';
import { SqliteEventStore, type EventRow } from './sqlite-event-store.ts';

declare const self: Worker;

export type WriterRequest = { kind: 'open'; path: string } | { kind: 'batch'; id: number; json: string } | { kind: 'close' };
export type WriterReply = { kind: 'opened' } | { kind: 'done'; id: number; error?: string } | { kind: 'closed' } | { kind: 'failed'; error: string };

let store: SqliteEventStore | null = null;
let db: ReturnType<typeof openDatabase> | null = null;

self.onmessage = (ev: MessageEvent<WriterRequest>) => {
  const m = ev.data;
  switch (m.kind) {
    case 'open':
      try {
        // The main thread has already migrated the file; this only opens it with the same pragmas.
        db = openDatabase(m.path);
        store = new SqliteEventStore(db);
        self.postMessage({ kind: 'opened' } satisfies WriterReply);
      } catch (e) {
        self.postMessage({ kind: 'failed', error: String(e) } satisfies WriterReply);
      }
      return;
    case 'batch':
      try {
        store!.insertRowsSync(JSON.parse(m.json) as EventRow[]);
        self.postMessage({ kind: 'done', id: m.id } satisfies WriterReply);
      } catch (e) {
        self.postMessage({ kind: 'done', id: m.id, error: String(e) } satisfies WriterReply);
      }
      return;
    case 'close':
      void store?.close();
      db?.close();
      self.postMessage({ kind: 'closed' } satisfies WriterReply);
      return;
  }
};
