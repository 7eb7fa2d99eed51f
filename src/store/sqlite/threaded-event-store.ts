/** @module EventStore whose inserts run on a writer thread (its own SQLite connection); scans and counts stay on the caller's. */
import type { Database } from 'bun:sqlite';
import type { EventSink } from '../../buffer/event-sink.ts';
import type { DropTally } from '../../ingest/drop-reasons.ts';
import type { CacheStats } from '../../ingest/user-agent.ts';
import type { CanonicalEvent } from '../../ingest/event.ts';
import { isDeferred, type PendingEvent } from '../../ingest/pending-event.ts';
import type { EventFilter, EventStore } from '../event-store.ts';
import { eventRow, SqliteEventStore } from './sqlite-event-store.ts';
import type { WriterReply, WriterRequest } from './event-writer-worker.ts';
import type { CheckpointerReply, CheckpointerRequest } from './wal-checkpointer-worker.ts';
import { CHECKPOINT_EVERY_MS, SQLITE_AUTOCHECKPOINT_PAGES, WRITER_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.ts';

/**
 * Where the thread modules are: event-writer-worker.ts, and wal-checkpointer-worker.ts, or null
 * for no checkpointer thread (the writer then checkpoints as SQLite does by default).
 */
export interface WorkerUrls {
  writer: string;
  checkpointer: string | null;
}

/** The modules beside this one, for running from source (tests, `bun src/main.ts`). */
export function sourceWorkerUrls(): WorkerUrls {
  return {
    writer: new URL('./event-writer-worker.ts', import.meta.url).href,
    checkpointer: new URL('./wal-checkpointer-worker.ts', import.meta.url).href,
  };
}

/**
 * The writer's and (with `--ack durable`) the WAL checkpointer's thread modules. In the binary (`compiled`)
 * they are the second and third embedded entry points (package.json's build script), named by
 * their embedded paths:
 * `bun build --bytecode` (Bun 1.4) leaves import.meta.url at the build machine's source file, so a
 * URL made from it loaded the writer from that source tree on disk when it was there, and on any
 * other machine never started it.
 */
export function workerUrlsFor(ack: 'buffered' | 'durable', compiled: boolean): WorkerUrls {
  const urls = compiled
    ? { writer: '/$bunfs/root/store/sqlite/event-writer-worker.js', checkpointer: '/$bunfs/root/store/sqlite/wal-checkpointer-worker.js' }
    : sourceWorkerUrls();
  // Only durable answers wait for commits, so only they gain from checkpoints off the writer (wal-checkpointer.ts).
  return ack === 'durable' ? urls : { ...urls, checkpointer: null };
}

type Pending = { resolve: (dropped: DropTally | null) => void; reject: (e: Error) => void };

/**
 * Why a thread: inserting costs ~7 µs per event (34 columns, JSON of properties and payload),
 * ~23 % of a RudderStack pixel hit's CPU on the main thread, and a 2,000-event flush stalled
 * every request for ~15 ms (the p99). The main thread now only serialises the batch to JSON, as
 * rows (~1 µs per event), and the commit happens beside it; WAL lets exports read meanwhile.
 * Pixel hits go further: the thread also builds their events (pending-event.ts): for RudderStack
 * it maps the query into the message, which took ~20 µs per hit off a busy request thread; for
 * Umami it parses the UA and URLs.
 * If the thread dies, its unanswered batches fail (the write buffer keeps and retries them)
 * and the next insert starts a new thread.
 */
export class ThreadedSqliteEventStore implements EventStore, EventSink {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly reader: SqliteEventStore;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private uaCache: CacheStats = { hits: 0, misses: 0, size: 0 };
  private checkpointer: Promise<Worker | null> = Promise.resolve(null);
  /**
   * Batches go out tagged with it; a failed batch moves it on. The writer thread, once a batch
   * fails, writes no later batch of the same epoch (it answers each with an error): the ones
   * already sent behind the failed one are not stored out of order (EventSink.ordered).
   */
  private epoch = 0;
  readonly ordered = true;

  private constructor(private readonly path: string, readerDb: Database, private readonly urls: WorkerUrls) {
    this.reader = new SqliteEventStore(readerDb);
  }

  /**
   * Starts the writer thread on the database file `path` (already migrated through `readerDb`),
   * and the WAL checkpointer's. The caller names their modules, because inside the compiled
   * binary modules are bundled into one file and only the entry points keep their own (embedded)
   * place (see workerUrlsFor() above).
   */
  static async open(path: string, readerDb: Database, urls: WorkerUrls): Promise<ThreadedSqliteEventStore> {
    const s = ThreadedSqliteEventStore.start(path, readerDb, urls);
    await s.ready;
    return s;
  }

  /**
   * Like open(), but returns at once: the thread starts in the background (~40 ms, most of a
   * restart's cold start) while the server begins listening. Inserts wait for it; `ready`
   * rejects if it cannot start.
   */
  static start(path: string, readerDb: Database, urls: WorkerUrls): ThreadedSqliteEventStore {
    const s = new ThreadedSqliteEventStore(path, readerDb, urls);
    s.ready = s.ensureWorker().then(() => undefined);
    s.checkpointer = s.startCheckpointer();
    return s;
  }

  /**
   * The checkpointer thread (wal-checkpointer.ts). Without it (it failed to start, or no module
   * was named) nothing is lost: the writer then checkpoints by itself past its backstop size.
   */
  private startCheckpointer(): Promise<Worker | null> {
    const url = this.urls.checkpointer;
    if (!url) return Promise.resolve(null);
    const open: CheckpointerRequest = { kind: 'open', path: this.path, everyMs: CHECKPOINT_EVERY_MS };
    return openThread(url, open, 'WAL checkpointer').catch((e: Error) => {
      this.checkpointerError = e.message;
      return null;
    });
  }

  /** Why the checkpointer thread is not running, if it failed to start. */
  checkpointerError: string | null = null;

  /** True once the checkpointer thread runs (for tests and the start-up log). */
  async checkpointerRunning(): Promise<boolean> {
    return (await this.checkpointer) !== null;
  }

  ready: Promise<void> = Promise.resolve();

  private ensureWorker(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    // With a checkpointer thread the writer's own checkpoints are only the backstop.
    const autocheckpointPages = this.urls.checkpointer ? WRITER_AUTOCHECKPOINT_PAGES : SQLITE_AUTOCHECKPOINT_PAGES;
    const open: WriterRequest = { kind: 'open', path: this.path, autocheckpointPages };
    this.starting ??= openThread(this.urls.writer, open, 'event writer').then(
      (w) => {
        w.onmessage = (ev: MessageEvent<WriterReply>) => {
          const m = ev.data;
          if (m.kind !== 'done') return;
          this.uaCache = m.uaCache;
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.error) {
            this.epoch++;
            p?.reject(new Error(m.error));
          } else p?.resolve(m.dropped ?? null);
        };
        w.addEventListener('close', () => {
          if (this.worker === w) this.worker = null;
          this.failPending(new Error('event writer thread stopped'));
        });
        this.worker = w;
        this.starting = null;
        return w;
      },
      (e: unknown) => {
        this.starting = null;
        throw e;
      },
    );
    return this.starting;
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async insertBatch(events: readonly CanonicalEvent[]): Promise<void> {
    await this.insertPending(events);
  }

  /** Events go as rows; deferred hits go as they are, and the writer thread builds their events. */
  async insertPending(items: readonly PendingEvent[]): Promise<DropTally | null> {
    if (items.length === 0) return null;
    if (this.closing) throw new Error('event store closed');
    const worker = await this.ensureWorker();
    const id = this.nextId++;
    const { json, unwritable } = batchJson(items);
    const sent = new Promise<DropTally | null>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ kind: 'batch', id, json, epoch: this.epoch } satisfies WriterRequest);
    });
    if (unwritable === 0) return sent;
    const dropped = (await sent) ?? {};
    dropped['invalid-input'] = (dropped['invalid-input'] ?? 0) + unwritable;
    return dropped;
  }

  /** The writer thread's UA cache, as of its last batch. */
  builderUaCache(): CacheStats {
    return this.uaCache;
  }

  scan(filter: EventFilter): AsyncIterable<CanonicalEvent> {
    return this.reader.scan(filter);
  }

  scanNdjson(filter: EventFilter): AsyncIterable<string> {
    return this.reader.scanNdjson(filter);
  }

  count(filter?: EventFilter): Promise<number> {
    return this.reader.count(filter);
  }

  /** Lets the writer finish what it was given (messages are handled in order), closes its connection, ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const c = await this.checkpointer;
      if (c) await closeThread(c);
      if (this.worker) await closeThread(this.worker);
      await this.reader.close();
    })();
    return this.closing;
  }
}

/**
 * The batch as the writer thread takes it: JSON of rows (events) and deferred hits. If the whole
 * will not serialise (an item JSON.stringify refuses, e.g. nested too deep for the engine's
 * stack), each item is tried alone and the ones that fail are left out and counted, so that one
 * bad item cannot fail its batch for ever (the write buffer retries failed batches).
 */
export function batchJson(items: readonly PendingEvent[]): { json: string; unwritable: number } {
  const values = items.map((p) => (isDeferred(p) ? p : eventRow(p)));
  try {
    return { json: JSON.stringify(values), unwritable: 0 };
  } catch {
    const parts: string[] = [];
    for (const v of values) {
      try {
        parts.push(JSON.stringify(v));
      } catch {
        // left out: counted by the caller
      }
    }
    return { json: `[${parts.join(',')}]`, unwritable: values.length - parts.length };
  }
}

/**
 * Starts a thread on `url` and sends it `open`; resolves once it answers `opened`, rejects when it
 * answers `failed`, or after 10 s of silence (a worker whose module cannot load says nothing).
 */
function openThread(url: string, open: WriterRequest | CheckpointerRequest, what: string): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const w = new Worker(url);
    const fail = (reason: string) => {
      clearTimeout(timer);
      w.terminate();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`${what} thread did not start (${url})`), 10_000);
    w.onmessage = (ev: MessageEvent<WriterReply | CheckpointerReply>) => {
      if (ev.data.kind === 'opened') {
        clearTimeout(timer);
        resolve(w);
      } else if (ev.data.kind === 'failed') fail(ev.data.error);
    };
    w.postMessage(open);
  });
}

/** Asks a thread to close (it handles the messages before that first, in order), waits until it has, and ends it. */
async function closeThread(w: Worker): Promise<void> {
  await new Promise<void>((resolve) => {
    w.addEventListener('message', (ev: MessageEvent<WriterReply | CheckpointerReply>) => ev.data.kind === 'closed' && resolve());
    w.addEventListener('close', () => resolve());
    w.postMessage({ kind: 'close' } satisfies WriterRequest & CheckpointerRequest);
  });
  w.terminate();
}
