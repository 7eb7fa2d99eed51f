/** @module The WAL checkpointer thread: its own connection to the database file, a PASSIVE checkpoint round every `everyMs` (wal-checkpointer.ts). */
import { openDatabase } from './open-database.ts';
import { checkpointCaughtUp } from './wal-checkpointer.ts';

declare const self: Worker;

export type CheckpointerRequest = { kind: 'open'; path: string; everyMs: number } | { kind: 'close' };
export type CheckpointerReply = { kind: 'opened' } | { kind: 'failed'; error: string } | { kind: 'closed' };

let db: ReturnType<typeof openDatabase> | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

self.onmessage = (ev: MessageEvent<CheckpointerRequest>) => {
  const m = ev.data;
  if (m.kind === 'open') {
    try {
      const own = openDatabase(m.path);
      db = own;
      timer = setInterval(() => {
        try {
          checkpointCaughtUp(own);
        } catch {
          // SQLITE_BUSY and the like: the next round tries again, and the writer's backstop bounds the WAL.
        }
      }, m.everyMs);
      self.postMessage({ kind: 'opened' } satisfies CheckpointerReply);
    } catch (e) {
      self.postMessage({ kind: 'failed', error: String(e) } satisfies CheckpointerReply);
    }
  } else {
    if (timer) clearInterval(timer);
    db?.close();
    self.postMessage({ kind: 'closed' } satisfies CheckpointerReply);
  }
};
