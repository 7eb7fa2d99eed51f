import { describe, expect, it, setSystemTime } from 'bun:test';
import type { CanonicalEvent } from '../ingest/event.ts';
import { openDatabase } from '../store/sqlite/open-database.ts';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.ts';
import { makeEvent } from '../../test/helpers/events.ts';
import { BUFFERED_IN_FLIGHT, DRAIN_RETRY_MAX_MS, DRAIN_WRITE_GRACE_MS, MAX_IN_FLIGHT, WRITE_STALL_WARN_MS, WriteBuffer } from './write-buffer.ts';
import { materialisingSink } from './materialising-sink.ts';
import type { DropTally } from '../ingest/drop-reasons.ts';
import { createLogger } from '../lib/log.ts';
import type { PendingEvent } from '../ingest/pending-event.ts';
import type { RudderPixelHit } from '../ingest/rudder-pixel-hit.ts';
import { ITEM_BYTES, pendingBytes } from './pending-bytes.ts';
import { readJsonObjectPrefix } from '../lib/json-object-prefix.ts';
import { jsonBytes } from '../lib/json-bytes.ts';
import { virtualTimers } from '../lib/timers.ts';

function sqliteBuffer(over: Partial<ConstructorParameters<typeof WriteBuffer>[0]> = {}) {
  const store = new SqliteEventStore(openDatabase(':memory:'));
  const buffer = new WriteBuffer({ store: materialisingSink(store), flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, ...over });
  return { store, buffer };
}

/** A store whose next `failures` inserts throw. */
function flakyStore(failures: number) {
  const rows: CanonicalEvent[] = [];
  let calls = 0;
  return {
    rows,
    get calls() {
      return calls;
    },
    async insertPending(batch: readonly PendingEvent[]) {
      calls++;
      if (failures-- > 0) throw new Error('disk I/O error');
      rows.push(...(batch as CanonicalEvent[]));
      return null;
    },
    builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
  };
}

/** A sink that stores each batch it is handed only when the test calls that batch's `store()`. */
function heldSink() {
  const batches: { size: number; store: () => void }[] = [];
  const sink = {
    insertPending: (batch: readonly PendingEvent[]) =>
      new Promise<DropTally | null>((resolve) => batches.push({ size: batch.length, store: () => resolve(null) })),
    builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
  };
  return { batches, sink };
}

/** The next turn of the event loop (a scheduled write runs on it). */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('WriteBuffer', () => {
  it('holds accepted events until a flush writes them all in order', async () => {
    const { store, buffer } = sqliteBuffer();
    for (let i = 0; i < 50; i++) expect(buffer.submit(makeEvent(i))).toBe('ok');
    expect(await store.count()).toBe(0);
    await buffer.flush();
    expect(await store.count()).toBe(50);
    expect(buffer.snapshot()).toMatchObject({ accepted: 50, committed: 50, waiting: 0, flushes: 1 });
  });

  it('says each batch it wrote at --log-level debug (events, those not stored and why, time taken), and nothing at info', async () => {
    const lines: string[] = [];
    const { buffer } = sqliteBuffer({ log: createLogger('debug', 'json', (l) => lines.push(l)) });
    for (let i = 0; i < 30; i++) buffer.submit(makeEvent(i));
    await buffer.flush();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'batch written', events: 30, notStored: {}, waiting: 0, inFlight: 0, ms: expect.any(Number) }),
    ]);
    const quiet: string[] = [];
    const info = sqliteBuffer({ log: createLogger('info', 'json', (l) => quiet.push(l)) });
    info.buffer.submit(makeEvent(1));
    await info.buffer.flush();
    expect(quiet).toEqual([]);
  });

  it('flushes by itself once flush-size events wait', async () => {
    const { store, buffer } = sqliteBuffer({ flushSize: 10 });
    for (let i = 0; i < 10; i++) buffer.submit(makeEvent(i));
    await new Promise((r) => setImmediate(r));
    await buffer.flush();
    expect(await store.count()).toBe(10);
  });

  it('answers full once it holds max events, and counts the refusal', () => {
    const { buffer } = sqliteBuffer({ maxEvents: 5, flushSize: 5 });
    for (let i = 0; i < 5; i++) expect(buffer.submit(makeEvent(i))).toBe('ok');
    expect(buffer.submit(makeEvent(6))).toBe('full');
    expect(buffer.snapshot().rejectedFull).toBe(1);
  });

  it('in durable mode resolves each submit only after its batch committed, many sharing one commit', async () => {
    const { store, buffer } = sqliteBuffer({ durable: true });
    const acks = Array.from({ length: 40 }, (_, i) => buffer.submit(makeEvent(i)));
    expect(await store.count()).toBe(0);
    expect(await Promise.all(acks)).toEqual(Array(40).fill('ok'));
    expect(await store.count()).toBe(40);
    expect(buffer.snapshot().flushes).toBe(1);
  });

  it('under a steady load follows a stored batch at once only with a full flush-size waiting, leaving fewer for the interval or flush()', async () => {
    const { batches, sink } = heldSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 10, flushIntervalMs: 250, maxEvents: 1000, durable: false });
    for (let i = 0; i < 10; i++) buffer.submit(makeEvent(i));
    await turn();
    expect(batches.map((b) => b.size)).toEqual([10]);
    // 12 arrive while the first is being stored: a full flush-size, so they go as soon as it is.
    for (let i = 10; i < 22; i++) buffer.submit(makeEvent(i));
    await turn();
    expect(batches.length).toBe(1);
    batches[0]!.store();
    await turn();
    expect(batches.map((b) => b.size)).toEqual([10, 12]);
    // 3 arrive while the second is being stored: they wait for the interval (here: flush()),
    // rather than going as a batch of 3.
    for (let i = 22; i < 25; i++) buffer.submit(makeEvent(i));
    batches[1]!.store();
    await turn();
    await turn();
    expect(batches.length).toBe(2);
    expect(buffer.snapshot()).toMatchObject({ committed: 22, waiting: 3 });
    const flushed = buffer.flush();
    await turn();
    expect(batches.map((b) => b.size)).toEqual([10, 12, 3]);
    batches[2]!.store();
    await flushed;
    expect(buffer.snapshot()).toMatchObject({ committed: 25, waiting: 0, flushes: 3 });
  });

  it('writes everything that waits on flush(), batch after batch, even what arrives while it writes', async () => {
    const { batches, sink } = heldSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 10, flushIntervalMs: 250, maxEvents: 1000, durable: false });
    for (let i = 0; i < 4; i++) buffer.submit(makeEvent(i));
    const flushed = buffer.flush();
    for (let i = 4; i < 6; i++) buffer.submit(makeEvent(i));
    batches[0]!.store();
    await turn();
    expect(batches.map((b) => b.size)).toEqual([4, 2]);
    batches[1]!.store();
    await flushed;
    expect(buffer.snapshot()).toMatchObject({ committed: 6, waiting: 0 });
  });

  it('keeps writing batch after batch while a full batch of bytes waits, whatever flush-size says', async () => {
    const { batches, sink } = heldSink();
    // --flush-size 20000 with ~4.6 KB events: ~900 of them fill a batch's 4 MiB first.
    const buffer = new WriteBuffer({ store: sink, flushSize: 20_000, flushIntervalMs: 250, maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, durable: false });
    const page = (i: number) => makeEvent(i, { url: 'https://site.example/' + 'x'.repeat(4000) });
    for (let i = 0; i < 2000; i++) buffer.submit(page(i));
    await turn();
    expect(batches.length).toBe(1);
    const first = batches[0]!.size;
    expect(first).toBeGreaterThan(800);
    expect(first).toBeLessThan(1000);
    batches[0]!.store();
    await turn();
    // More than a batch's bytes still waited: the next went at once…
    expect(batches.length).toBe(2);
    batches[1]!.store();
    await turn();
    await turn();
    // …and what is left, less than that, waits for the interval.
    expect(batches.length).toBe(2);
    const left = 2000 - first - batches[1]!.size;
    expect(left).toBeGreaterThan(0);
    expect(buffer.snapshot()).toMatchObject({ waiting: left });
    const flushed = buffer.flush();
    batches[2]!.store();
    await flushed;
    expect(batches[2]!.size).toBe(left);
    expect(buffer.snapshot()).toMatchObject({ committed: 2000, waiting: 0 });
  });

  it('sends a batch as soon as the most bytes a batch takes wait, without waiting for the interval or flush-size', async () => {
    const batches: number[] = [];
    const sink = {
      insertPending: async (batch: readonly PendingEvent[]) => (batches.push(batch.length), null),
      builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
    };
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, maxBytes: 64 * 1024 * 1024, durable: false });
    const big = (i: number) => makeEvent(i, { url: 'https://site.example/' + 'x'.repeat(1_500_000) });
    buffer.submit(big(0));
    buffer.submit(big(1));
    await turn();
    expect(batches).toEqual([]);
    buffer.submit(big(2)); // 4.5 MB wait now: over a batch's 4 MiB
    await turn();
    await turn();
    // The batch takes what fits in 4 MiB; the one left waits for the interval.
    expect(batches).toEqual([2]);
    expect(buffer.snapshot()).toMatchObject({ committed: 2, waiting: 1 });
  });

  it('keeps a batch whose write failed, retries it with backoff and loses nothing', async () => {
    const store = flakyStore(2);
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 1, retryMaxMs: 4 });
    for (let i = 0; i < 30; i++) buffer.submit(makeEvent(i));
    await buffer.flush();
    expect(buffer.snapshot()).toMatchObject({ flushFailures: 1, waiting: 30, committed: 0 });
    expect(await buffer.drain(5_000)).toBe(0);
    expect(store.rows.length).toBe(30);
    expect(store.rows.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => store.rows[i]!.id));
    expect(buffer.snapshot().flushFailures).toBe(2);
  });

  it('tries once more at the exit deadline when the next retry was due after it, so a disk with room again is written to', async () => {
    const store = flakyStore(1);
    const timers = virtualTimers();
    // A backoff of a minute: only the last try at the deadline can write within this drain.
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 60_000, retryMaxMs: 60_000, timers });
    for (let i = 0; i < 3; i++) buffer.submit(makeEvent(i));
    expect(await buffer.drain(300)).toBe(0);
    // The first try at 0, the last at the deadline.
    expect([store.calls, store.rows.length, timers.now()]).toEqual([2, 3, 300]);
  });

  it('returns at its deadline and the lock wait after it when a write neither ends nor fails (a frozen disk), and sends nothing more once it has', async () => {
    const timers = virtualTimers();
    const { batches, sink } = heldSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 100, flushIntervalMs: 250, maxEvents: 20_000, durable: false, timers });
    // A transaction takes 10,000 events (or 4 MiB) at most: the rest wait behind the held one.
    for (let i = 0; i < 10_050; i++) buffer.submit(makeEvent(i));
    let returned = false;
    const left = buffer.drain(5_000).finally(() => (returned = true));
    await turn();
    const first = buffer.beingWritten;
    expect([batches.length, first < 10_050]).toEqual([1, true]);
    // A write waiting on a lock gets the lock's wait past the deadline.
    timers.advance(5_000 + DRAIN_WRITE_GRACE_MS - 1);
    await turn();
    expect(returned).toBe(false);
    timers.advance(1);
    expect(await left).toBe(10_050);
    expect(timers.pending()).toBe(0);
    // The held write ends after all: taken in, and those behind it are not sent to a store being closed.
    batches[0]!.store();
    await turn();
    expect([batches.length, buffer.size, buffer.snapshot().committed]).toEqual([1, 10_050 - first, first]);
  });

  it('says once when a write has been under way WRITE_STALL_WARN_MS, shows for how long in its stats, and says when it is done', async () => {
    const timers = virtualTimers();
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const record = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
    const log = { debug() {}, info: record('info'), warn: record('warn'), error: record('error') };
    const { batches, sink } = heldSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, timers, log });
    for (let i = 0; i < 2; i++) buffer.submit(makeEvent(i));
    const flushed = buffer.flush();
    timers.advance(WRITE_STALL_WARN_MS - 1);
    buffer.watchStall();
    expect(lines).toEqual([]);
    timers.advance(1);
    buffer.watchStall();
    timers.advance(5_000);
    buffer.watchStall();
    expect(buffer.snapshot().writingForMs).toBe(WRITE_STALL_WARN_MS + 5_000);
    batches[0]!.store();
    await flushed;
    expect(lines.map((l) => [l.level, l.fields?.events])).toEqual([['warn', 2], ['info', 2]]);
    expect(lines[0]!.msg).toContain('a write has been under way');
    expect(buffer.snapshot().writingForMs).toBe(0);
  });

  it('makes no last try when the deadline passed during a write that waited (a lock), and no try at all once the drain has returned', async () => {
    let calls = 0;
    const timers = virtualTimers();
    // Each write waits 300 ms (a lock held elsewhere), then fails.
    const store = {
      async insertPending(): Promise<null> {
        calls++;
        await timers.sleep(300);
        throw new Error('database is locked');
      },
      builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
    };
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 100, retryMaxMs: 100, timers });
    buffer.submit(makeEvent(1));
    expect(await buffer.drain(450)).toBe(1);
    // Tries at 0 and 400 ms; the second ends at 700, past the deadline: no third (it would end at 1,100).
    expect([calls, timers.now()]).toEqual([2, 700]);
    // And no retry is left armed to try after the drain returned, once that write's failure is in.
    await turn();
    expect(timers.pending()).toBe(0);
    timers.advance(60_000);
    await turn();
    expect(calls).toBe(2);
  });

  it('tries at once when the drain starts, then at most DRAIN_RETRY_MAX_MS apart, whatever the backoff had grown to', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (_msg: string, fields?: Record<string, unknown>) => void lines.push(fields ?? {}) };
    const store = flakyStore(2);
    const timers = virtualTimers();
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 20_000, retryMaxMs: 60_000, log, timers });
    buffer.submit(makeEvent(1));
    await buffer.flush();
    expect(lines.map((l) => l.retryInMs)).toEqual([20_000]);
    expect(await buffer.drain(10_000)).toBe(0);
    expect(lines.map((l) => l.retryInMs)).toEqual([20_000, DRAIN_RETRY_MAX_MS]);
    // Tried at once (0 ms into the drain), then DRAIN_RETRY_MAX_MS later, not 40 s later.
    expect([store.calls, store.rows.length, timers.now()]).toEqual([3, 1, DRAIN_RETRY_MAX_MS]);
  });

  it('retries on time when the wall clock is set back an hour after a failed write', async () => {
    const store = flakyStore(1);
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 0, retryMaxMs: 0 });
    for (let i = 0; i < 3; i++) buffer.submit(makeEvent(i));
    await buffer.flush();
    expect(buffer.snapshot()).toMatchObject({ flushFailures: 1, waiting: 3 });
    setSystemTime(new Date(Date.now() - 3_600_000));
    try {
      await buffer.flush();
      expect(store.rows.length).toBe(3);
    } finally {
      setSystemTime();
    }
  });

  it('retries a failed write after its backoff, not at the next interval tick, so a full buffer takes events again at once', async () => {
    const store = flakyStore(1);
    const timers = virtualTimers();
    // An interval of a minute: only the retry's own timer can write within this test.
    const buffer = new WriteBuffer({ store, flushSize: 5, flushIntervalMs: 60_000, maxEvents: 5, durable: false, retryBaseMs: 5, retryMaxMs: 5, timers });
    buffer.start();
    try {
      for (let i = 0; i < 5; i++) expect(buffer.submit(makeEvent(i))).toBe('ok');
      expect(buffer.submit(makeEvent(5))).toBe('full');
      // The full batch went out on the next turn and failed; its retry is due 5 ms later.
      await turn();
      await turn();
      expect([store.calls, store.rows.length, timers.pending()]).toEqual([1, 0, 1]);
      timers.advance(4);
      await turn();
      expect(store.calls).toBe(1);
      timers.advance(1);
      await turn();
      await turn();
      expect([store.calls, store.rows.length]).toEqual([2, 5]);
      expect(buffer.submit(makeEvent(6))).toBe('ok');
    } finally {
      expect(await buffer.drain(5_000)).toBe(0);
    }
  });

  it('says when flushes start failing and when they recover', async () => {
    const lines: string[] = [];
    const record = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
    const log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const buffer = new WriteBuffer({ store: flakyStore(1), flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: false, retryBaseMs: 1, retryMaxMs: 4, log });
    buffer.submit(makeEvent(1));
    await buffer.flush();
    expect(await buffer.drain(5_000)).toBe(0);
    expect(lines).toEqual(['error flush failed; batch kept for retry', 'info flushes recovered: the events kept for retry are being written', 'debug batch written']);
  });

  it('in durable mode answers late, not ok, an ack whose batch has not committed by the deadline, and keeps the event to write once it can', async () => {
    // A disk that is full until it is not.
    let full = true;
    const rows: PendingEvent[] = [];
    const store = {
      async insertPending(batch: readonly PendingEvent[]) {
        if (full) throw new Error('database or disk is full');
        rows.push(...batch);
        return null;
      },
      builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
    };
    const timers = virtualTimers();
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: true, retryBaseMs: 1, retryMaxMs: 1, ackTimeoutMs: 10_000, timers });
    const ack = buffer.submit(makeEvent(1));
    let outcome = null as string | null;
    void (ack as Promise<string>).then((o) => (outcome = o));
    await buffer.flush();
    timers.advance(9_999);
    buffer.expireLateAcks();
    await Promise.resolve();
    expect(outcome).toBeNull();
    timers.advance(1);
    buffer.expireLateAcks();
    await Promise.resolve();
    expect(outcome).toBe('late');
    // Neither acknowledged nor dropped: still queued, and written once the store takes writes again.
    expect(buffer.snapshot()).toMatchObject({ waiting: 1, committed: 0 });
    full = false;
    expect(await buffer.drain(5_000)).toBe(0);
    expect(rows.length).toBe(1);
  });

  it('answers late acks on its own timer, whatever the flush interval (here a minute)', async () => {
    const timers = virtualTimers();
    const store = { insertPending: async () => Promise.reject(new Error('database is locked')), builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }) };
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 60_000, maxEvents: 1000, durable: true, retryBaseMs: 60_000, ackTimeoutMs: 10_000, timers, lateCheckMs: 5 });
    buffer.start();
    try {
      const ack = buffer.submit(makeEvent(1)) as Promise<string>;
      timers.advance(10_000);
      expect(await ack).toBe('late');
    } finally {
      buffer.close();
    }
  });

  it('counts events that failed writes still hold against the cap', async () => {
    const store = flakyStore(100);
    const buffer = new WriteBuffer({ store, flushSize: 100, flushIntervalMs: 250, maxEvents: 3, durable: false, retryBaseMs: 1000 });
    for (let i = 0; i < 3; i++) buffer.submit(makeEvent(i));
    await buffer.flush();
    expect(buffer.submit(makeEvent(9))).toBe('full');
  });

  it('accepts a batch whole or not at all', async () => {
    const { store, buffer } = sqliteBuffer({ maxEvents: 10, flushSize: 10 });
    expect(buffer.submitAll(Array.from({ length: 8 }, (_, i) => makeEvent(i)))).toBe('ok');
    expect(buffer.submitAll(Array.from({ length: 3 }, (_, i) => makeEvent(10 + i)))).toBe('full');
    expect(buffer.size).toBe(8);
    await buffer.flush();
    expect(await store.count()).toBe(8);
  });

  it('resolves a durable batch once all of it committed', async () => {
    const { store, buffer } = sqliteBuffer({ durable: true });
    const ack = buffer.submitAll(Array.from({ length: 5 }, (_, i) => makeEvent(i)));
    expect(await ack).toBe('ok');
    expect(await store.count()).toBe(5);
  });

  it('drains everything on shutdown and refuses events after it', async () => {
    const { store, buffer } = sqliteBuffer({ flushSize: 50_000, maxEvents: 50_000 });
    for (let i = 0; i < 25_000; i++) buffer.submit(makeEvent(i));
    expect(await buffer.drain()).toBe(0);
    expect(await store.count()).toBe(25_000);
    expect(buffer.submit(makeEvent(1))).toBe('full');
  });

  it('counts as committed only what was stored, and reports the hits a deferred build dropped, by reason', async () => {
    const reports: DropTally[] = [];
    const { store, buffer } = sqliteBuffer({ durable: true, onDropped: (t) => reports.push(t) });
    const hit = (query: string): RudderPixelHit => ({
      deferred: 'rudder-pixel', type: 'track', query, nowMs: 0, websiteId: 'w', requestIp: '0.0.0.0', keepIp: false, userAgent: '', geo: { country: null, region: null, city: null },
    });
    const acks = [buffer.submit(makeEvent(1)), buffer.submit(hit('writeKey=k&anonymousId=a&event=')), buffer.submit(hit('writeKey=k&anonymousId=a&event=Open'))];
    expect(await Promise.all(acks)).toEqual(['ok', 'ok', 'ok']);
    expect(await store.count()).toBe(2);
    expect(buffer.stats).toMatchObject({ accepted: 3, committed: 2 });
    expect(reports).toEqual([{ 'empty-event': 1 }]);
  });

  it('answers full when an event would take it past its byte cap, and takes events again once their batch is written', async () => {
    const { store, buffer } = sqliteBuffer({ maxBytes: 1024 * 1024 });
    // 8 KB URLs: 100 of them are ~1 MB, far below the 1000-event cap.
    const long = (i: number) => makeEvent(i, { url: `https://www.example.com/?q=${'x'.repeat(8000)}${i}` });
    let accepted = 0;
    while (buffer.submit(long(accepted)) === 'ok') accepted++;
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(130);
    expect(buffer.snapshot()).toMatchObject({ waiting: accepted, rejectedFull: 1 });
    expect(buffer.snapshot().bytes).toBeLessThanOrEqual(1024 * 1024);
    // A small event still fits where a long one did not, until the bytes are spent.
    expect(buffer.submit(makeEvent(0))).toBe('ok');
    await buffer.flush();
    expect(await store.count()).toBe(accepted + 1);
    expect(buffer.snapshot()).toMatchObject({ waiting: 0, bytes: 0 });
    expect(buffer.submit(long(0))).toBe('ok');
  });

  it('refuses a whole batch that would pass the byte cap while it holds more than half of it, keeping none of it', () => {
    const { buffer } = sqliteBuffer({ maxBytes: 64 * 1024 });
    const big = Array.from({ length: 10 }, (_, i) => makeEvent(i, { properties: { text: 'y'.repeat(8000) } }));
    // ~40 KB: past half the cap.
    expect(buffer.submitAll(big.slice(0, 5))).toBe('ok');
    expect(buffer.submitAll(big)).toBe('full');
    expect(buffer.snapshot()).toMatchObject({ waiting: 5, rejectedFull: 10 });
    expect(buffer.submit(makeEvent(99))).toBe('ok');
  });

  it('takes a batch that does not fit while it holds at most half its cap, whatever the batch\'s size: one such overshoot at a time', () => {
    const { buffer } = sqliteBuffer({ maxEvents: 100, flushSize: 100 });
    for (let i = 0; i < 40; i++) buffer.submit(makeEvent(i));
    // A batch of 99 would not fit beside 40, nor one of 101 by itself: both would be refused for ever.
    expect(buffer.hold(99)).toBe(true);
    buffer.release(99);
    expect(buffer.hold(101)).toBe(true);
    // Held, it leaves the buffer past half: the next batch that does not fit waits.
    expect(buffer.hold(99)).toBe(false);
    expect(buffer.submitAll(Array.from({ length: 101 }, (_, i) => makeEvent(100 + i)), 101)).toBe('ok');
    expect(buffer.submitAll([makeEvent(300)])).toBe('full');
  });

  it('takes one request larger than its byte cap when it holds nothing, so that request is not refused for ever', async () => {
    const { store, buffer } = sqliteBuffer({ maxBytes: 64 * 1024 });
    const big = Array.from({ length: 10 }, (_, i) => makeEvent(i, { properties: { text: 'y'.repeat(8000) } }));
    expect(buffer.submitAll(big)).toBe('ok');
    expect(buffer.snapshot().bytes).toBeGreaterThan(64 * 1024);
    expect(buffer.submit(makeEvent(11))).toBe('full');
    await buffer.flush();
    expect(await store.count()).toBe(10);
    expect(buffer.submit(makeEvent(11))).toBe('ok');
  });

  it('writes a large backlog in batches of at most 4 MiB each, losing nothing', async () => {
    const batches: number[] = [];
    const store = new SqliteEventStore(openDatabase(':memory:'));
    const sink = materialisingSink(store);
    const buffer = new WriteBuffer({
      store: { insertPending: (items) => (batches.push(items.length), sink.insertPending(items)), builderUaCache: sink.builderUaCache },
      flushSize: 100_000, flushIntervalMs: 250, maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, durable: false,
    });
    // ~100 KB each: 200 of them are ~20 MB, so five batches.
    for (let i = 0; i < 200; i++) expect(buffer.submit(makeEvent(i, { url: `https://www.example.com/?q=${'z'.repeat(100_000)}` }))).toBe('ok');
    await buffer.flush();
    expect(batches).toEqual([41, 41, 41, 41, 36]);
    expect(await store.count()).toBe(200);
  });

  it('estimates an item by its texts, bodies and a fixed part, nested JSON of any depth included', () => {
    const e = makeEvent(1);
    const base = pendingBytes(e);
    expect(base).toBeGreaterThan(ITEM_BYTES);
    expect(pendingBytes({ ...e, url: e.url + 'x'.repeat(10_000) })).toBe(base + 10_000);
    expect(pendingBytes({ ...e, properties: { k: 'v'.repeat(1000) } })).toBe(base + jsonBytes({ k: 'v'.repeat(1000) }));
    // Properties that keep their text for their numbers (exact-json.ts) hold that text as well.
    const exact = readJsonObjectPrefix(`{"p":1.50,"k":"${'v'.repeat(1000)}"}`);
    if (!exact.ok) throw new Error('test body refused');
    expect(pendingBytes({ ...e, properties: exact.value })).toBe(base + jsonBytes(exact.value) + `{"p":1.50,"k":"${'v'.repeat(1000)}"}`.length);
    // An object and an array (96 each), a key (32 + 2), a string (16 + 2), two primitives (16 each).
    expect(jsonBytes({ ab: ['cd', 1, null] })).toBe(96 + 34 + 96 + 18 + 16 + 16);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonBytes(deep)).toBe(100_000 * 96 + 16 + 4);
    const hit: RudderPixelHit = {
      deferred: 'rudder-pixel', type: 'track', query: 'q'.repeat(500_000), nowMs: 0, websiteId: 'w', requestIp: '0.0.0.0', keepIp: false, userAgent: 'ua', geo: { country: null, region: null, city: null },
    };
    expect(pendingBytes(hit)).toBe(ITEM_BYTES + 500_000 + 2 + 7);
  });
});

/**
 * An ordered sink (EventSink.ordered) whose inserts the test settles by hand, oldest first: it
 * records the name of each event handed over and, once a batch fails, fails every batch already
 * handed over behind it, unwritten, as the writer thread does.
 */
function handSettledSink() {
  const stored: string[] = [];
  const open: { names: string[]; resolve: (d: null) => void; reject: (e: Error) => void }[] = [];
  return {
    ordered: true as const,
    stored,
    open,
    insertPending(batch: readonly PendingEvent[]) {
      return new Promise<DropTally | null>((resolve, reject) => open.push({ names: batch.map((e) => (e as CanonicalEvent).name!), resolve, reject }));
    },
    /** Stores the oldest batch in flight. */
    writeNext() {
      const b = open.shift()!;
      stored.push(...b.names);
      b.resolve(null);
    },
    /** Fails the oldest batch in flight and, unwritten, every one behind it. */
    failAll() {
      for (const b of open.splice(0)) b.reject(new Error('disk I/O error'));
    },
    builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }),
  };
}

describe('WriteBuffer, durable acks answered late', () => {
  it('counts the acks answered 503 past the deadline or at a stop, and says so (those past the deadline) at most every 10 s', async () => {
    const timers = virtualTimers();
    const warnings: Record<string, unknown>[] = [];
    const log = { debug() {}, info() {}, warn: (_msg: string, fields?: Record<string, unknown>) => void warnings.push(fields ?? {}), error() {} };
    const { sink } = heldSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 100, flushIntervalMs: 250, maxEvents: 1000, durable: true, ackTimeoutMs: 1_000, timers, log });
    const outcomes = [buffer.submit(makeEvent(1)), buffer.submit(makeEvent(2))];
    timers.advance(1_000);
    buffer.expireLateAcks();
    expect(await Promise.all(outcomes)).toEqual(['late', 'late']);
    const third = buffer.submit(makeEvent(3));
    timers.advance(1_000);
    buffer.expireLateAcks();
    expect(await third).toBe('late');
    const fourth = buffer.submit(makeEvent(4));
    expect(buffer.answerWaitingLate()).toBe(1);
    expect(await fourth).toBe('late');
    expect(buffer.snapshot().lateAcks).toBe(4);
    // One line for the first two; the third falls within 10 s of it; the stop's own answers are the stop's to say.
    expect(warnings.map((w) => w.acks)).toEqual([2]);
    timers.advance(10_000);
    const fifth = buffer.submit(makeEvent(5));
    timers.advance(1_000);
    buffer.expireLateAcks();
    expect(await fifth).toBe('late');
    expect(warnings.map((w) => w.acks)).toEqual([2, 2]);
  });
});

describe('WriteBuffer, durable acks with an ordered sink', () => {
  it('hands over the next batch before the last one is stored, and acks each event only once its own batch is', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, durable: true });
    const acked: string[] = [];
    const submit = (name: string) => (buffer.submit(makeEvent(0, { name })) as Promise<'ok'>).then(() => acked.push(name));
    const first = [submit('a'), submit('b')];
    await turn();
    const second = [submit('c')];
    await turn();
    // Two batches in flight at once, neither stored yet: nothing acked.
    expect(sink.open.map((b) => b.names)).toEqual([['a', 'b'], ['c']]);
    expect(acked).toEqual([]);
    sink.writeNext();
    await Promise.all(first);
    expect(acked).toEqual(['a', 'b']);
    sink.writeNext();
    await Promise.all(second);
    expect(acked).toEqual(['a', 'b', 'c']);
    expect(buffer.snapshot()).toMatchObject({ accepted: 3, committed: 3, waiting: 0, flushes: 2 });
  });

  it('answers every durable ack still waiting late once closed (its store is gone), even when a batch already handed over commits afterwards', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, durable: true });
    const handedOver = buffer.submit(makeEvent(0, { name: 'a' }));
    await turn();
    const held = buffer.submit(makeEvent(0, { name: 'b' }));
    expect(sink.open.map((b) => b.names)).toEqual([['a']]);
    buffer.close();
    // The batch with the store commits, into a file no path leads to: its 200 would be a lie.
    sink.writeNext();
    expect([await handedOver, await held]).toEqual(['late', 'late']);
    expect(buffer.submit(makeEvent(0, { name: 'c' }))).toBe('full');
  });

  it(`keeps at most ${MAX_IN_FLIGHT} batches in flight, and sends what waited meanwhile as one batch once one is stored`, async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, durable: true });
    const names = Array.from({ length: MAX_IN_FLIGHT + 2 }, (_, i) => `e${i}`);
    for (const name of names) {
      void buffer.submit(makeEvent(0, { name }));
      await turn();
    }
    expect(sink.open.map((b) => b.names)).toEqual(names.slice(0, MAX_IN_FLIGHT).map((n) => [n]));
    sink.writeNext();
    // The result is taken in, and what waits goes out on the turn after.
    await turn();
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([...names.slice(1, MAX_IN_FLIGHT).map((n) => [n]), names.slice(MAX_IN_FLIGHT)]);
    while (sink.open.length) {
      sink.writeNext();
      await turn();
    }
    expect(sink.stored).toEqual(names);
  });

  it('puts every batch in flight back in order when the oldest fails, acks none of them until stored, and stores each once', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, durable: true, retryBaseMs: 1, retryMaxMs: 1 });
    const acked: string[] = [];
    const acks: Promise<unknown>[] = [];
    for (const batch of [['a', 'b'], ['c'], ['d', 'e']]) {
      for (const name of batch) acks.push((buffer.submit(makeEvent(0, { name })) as Promise<'ok'>).then(() => acked.push(name)));
      await turn();
    }
    expect(sink.open).toHaveLength(3);
    sink.failAll();
    await buffer.flush();
    expect(acked).toEqual([]);
    expect(buffer.snapshot()).toMatchObject({ committed: 0, waiting: 5, flushFailures: 1 });
    // The retry: all five again, in the order they were accepted, in one batch.
    while (!sink.open.length) await Bun.sleep(2);
    expect(sink.open.map((b) => b.names)).toEqual([['a', 'b', 'c', 'd', 'e']]);
    sink.writeNext();
    await Promise.all(acks);
    expect(sink.stored).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(acked).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(buffer.snapshot()).toMatchObject({ committed: 5, waiting: 0 });
  });

  it('writes one batch at a time to a sink that does not promise order', async () => {
    const { ordered: _, ...unordered } = handSettledSink();
    const sink = Object.assign(unordered, { ordered: false });
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 250, maxEvents: 1000, durable: true });
    const acks = [buffer.submit(makeEvent(0, { name: 'a' }))];
    await turn();
    acks.push(buffer.submit(makeEvent(1, { name: 'b' })));
    await turn();
    expect(sink.open).toHaveLength(1);
    sink.writeNext();
    while (!sink.open.length) await turn();
    sink.writeNext();
    await Promise.all(acks);
    expect(sink.stored).toEqual(['a', 'b']);
  });
});

describe('WriteBuffer, buffered acks with an ordered sink', () => {
  const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `e${from + i}`);
  const submitAll = (buffer: WriteBuffer, list: string[]) => {
    for (const name of list) expect(buffer.submit(makeEvent(0, { name }))).toBe('ok');
  };

  it(`hands the next full batch over while the last is being stored, never more than ${BUFFERED_IN_FLIGHT} at once, and stores each in order`, async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 3, flushIntervalMs: 60_000, maxEvents: 1000, durable: false });
    submitAll(buffer, names(0, 3));
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 3)]);
    // A second full batch goes at once, though the first is not stored yet: the writer has it ready.
    submitAll(buffer, names(3, 6));
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 3), names(3, 6)]);
    // A third waits for a place.
    submitAll(buffer, names(6, 9));
    await turn();
    expect(sink.open).toHaveLength(BUFFERED_IN_FLIGHT);
    sink.writeNext();
    await turn();
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([names(3, 6), names(6, 9)]);
    while (sink.open.length) {
      sink.writeNext();
      await turn();
    }
    expect(sink.stored).toEqual(names(0, 9));
    expect(buffer.snapshot()).toMatchObject({ accepted: 9, committed: 9, waiting: 0, flushes: 3 });
  });

  it('sends less than a full batch only at the interval or on flush(), however many are in flight', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 3, flushIntervalMs: 60_000, maxEvents: 1000, durable: false });
    submitAll(buffer, names(0, 3));
    await turn();
    submitAll(buffer, names(3, 5));
    await turn();
    // The full batch went; the two after it wait, though a place in flight is free.
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 3)]);
    const flushed = buffer.flush();
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 3), names(3, 5)]);
    sink.writeNext();
    sink.writeNext();
    await flushed;
    expect(sink.stored).toEqual(names(0, 5));
  });

  it('puts both batches in flight back in order when the oldest fails, and stores each event once', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 2, flushIntervalMs: 60_000, maxEvents: 1000, durable: false, retryBaseMs: 1, retryMaxMs: 1 });
    submitAll(buffer, names(0, 2));
    await turn();
    submitAll(buffer, names(2, 4));
    await turn();
    expect(sink.open).toHaveLength(2);
    sink.failAll();
    await buffer.flush().catch(() => {});
    expect(buffer.snapshot()).toMatchObject({ committed: 0, waiting: 4, flushFailures: 1 });
    const done = buffer.flush();
    while (sink.open.length || sink.stored.length < 4) {
      while (!sink.open.length) await Bun.sleep(1);
      sink.writeNext();
      await turn();
    }
    await done;
    expect(sink.stored).toEqual(names(0, 4));
    expect(buffer.snapshot()).toMatchObject({ committed: 4, waiting: 0 });
  });

  it('sends the tail of a batch cut at its 4 MiB at the interval, not at once beside it', async () => {
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 1000, flushIntervalMs: 60_000, maxEvents: 1000, maxBytes: 64 * 1024 * 1024, durable: false });
    for (let i = 0; i < 3; i++) buffer.submit(makeEvent(i, { name: `e${i}`, url: 'https://site.example/' + 'x'.repeat(1_500_000) }));
    await turn();
    await turn();
    // Two fit in 4 MiB; the third is a batch of one, far from full: it waits though a place is free.
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 2)]);
    const flushed = buffer.flush();
    await turn();
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 2), names(2, 3)]);
    sink.writeNext();
    sink.writeNext();
    await flushed;
    expect(sink.stored).toEqual(names(0, 3));
  });

  it('counts a batch sent behind another as writing only from when the one before it is stored', async () => {
    const timers = virtualTimers();
    const warnings: unknown[] = [];
    const log = { debug() {}, info() {}, warn: (msg: string) => void warnings.push(msg), error() {} };
    const sink = handSettledSink();
    const buffer = new WriteBuffer({ store: sink, flushSize: 2, flushIntervalMs: 60_000, maxEvents: 1000, durable: false, timers, log });
    submitAll(buffer, names(0, 2));
    await turn();
    submitAll(buffer, names(2, 4));
    await turn();
    expect(sink.open).toHaveLength(2);
    timers.advance(WRITE_STALL_WARN_MS - 500);
    sink.writeNext();
    await turn();
    timers.advance(600);
    buffer.watchStall();
    expect(buffer.snapshot().writingForMs).toBe(600);
    expect(warnings).toEqual([]);
    sink.writeNext();
    await buffer.flush();
    expect(sink.stored).toEqual(names(0, 4));
  });

  it('writes one batch at a time to a sink that does not promise order', async () => {
    const { ordered: _, ...unordered } = handSettledSink();
    const sink = Object.assign(unordered, { ordered: false });
    const buffer = new WriteBuffer({ store: sink, flushSize: 2, flushIntervalMs: 60_000, maxEvents: 1000, durable: false });
    submitAll(buffer, names(0, 2));
    await turn();
    submitAll(buffer, names(2, 4));
    await turn();
    // A full batch waits, but the sink has one already.
    expect(sink.open.map((b) => b.names)).toEqual([names(0, 2)]);
    sink.writeNext();
    while (!sink.open.length) await turn();
    sink.writeNext();
    await turn();
    expect(sink.stored).toEqual(names(0, 4));
  });
});
