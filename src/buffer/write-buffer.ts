/** @module The write-ahead buffer: accepted events → batches → an EventSink, flushed on size or interval, with durable acks and drain. */
import type { DropTally } from '../ingest/drop-reasons.ts';
import type { PendingEvent } from '../ingest/pending-event.ts';
import type { CacheStats } from '../ingest/user-agent.ts';
import type { Logger } from '../lib/log.ts';
import { realTimers, type Timers } from '../lib/timers.ts';
import { pendingBytes } from './pending-bytes.ts';
import { AckWaiters } from './ack-waiters.ts';
import { PendingQueue, type Batch } from './pending-queue.ts';
import type { EventSink } from './event-sink.ts';

export interface WriteBufferOptions {
  store: EventSink;
  /** Told of hits a batch did not store (a deferred hit's builder dropped them), once per batch. */
  onDropped?: (tally: DropTally) => void;
  /** Flush as soon as this many events wait. */
  flushSize: number;
  /** Flush at least this often while events wait (only once start() was called). */
  flushIntervalMs: number;
  /** Events held in memory at most (waiting + being written). */
  maxEvents: number;
  /**
   * Bytes held at most, waiting + being written, as pendingBytes() estimates them (default
   * 64 MiB): the event count alone would let long URLs and large bodies hold gigabytes.
   */
  maxBytes?: number;
  /** durable: submit() resolves only once the event's batch has committed. */
  durable: boolean;
  log?: Logger;
  /** First retry delay after a failed flush; doubles per failure up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Durable acks: how long a submit waits for its commit before it resolves 'late' (default DURABLE_ACK_TIMEOUT_MS). */
  ackTimeoutMs?: number;
  /** The clock the ack deadline, the retries and the drain read, and their waits (tests pass virtual ones); real, monotonic ones by default. */
  timers?: Timers;
  /** How often durable acks are checked against the deadline, and the oldest write for a stall (default LATE_CHECK_MS). */
  lateCheckMs?: number;
}

/**
 * What submit() says: 'ok' (safe by the ack mode), 'full' (refused, not kept), or — durable acks
 * only — 'late': its batch did not commit within the ack deadline (a full disk, a lock held
 * elsewhere). A late event stays queued and is written once writes succeed again: it is neither
 * acknowledged nor dropped, and the caller answers as for a full buffer (503, retry) without
 * counting a drop; a GIF endpoint answers its GIF.
 */
export type SubmitOutcome = 'ok' | 'full' | 'late';

/** How long a durable ack waits for its commit (normally a few ms; ~0.3 s under a heavy flood). */
export const DURABLE_ACK_TIMEOUT_MS = 10_000;
/** How often durable acks are checked against that deadline. */
const LATE_CHECK_MS = 1000;
/** The longest wait between two tries to write while draining at exit (the drain has ~20 s in all). */
export const DRAIN_RETRY_MAX_MS = 2000;

/**
 * How long a write may be under way before the log says so (once per write): a frozen or failing
 * disk, or a lock SQLite waits on, can hold a write without failing it, and only `waiting`
 * growing would otherwise tell. As long as a durable ack waits before its 503.
 */
export const WRITE_STALL_WARN_MS = 10_000;

/** At most one "durable acks not given in time" line this often (each second's expiry would repeat it). */
const LATE_LOG_EVERY_MS = 10_000;

/**
 * How long past its deadline the stop's flush waits for a write already under way: the writer
 * thread's busy timeout (open-database.ts), so that a write waiting on another process's lock
 * when the deadline comes is waited for (it commits or fails by then) and only a write held up
 * longer (a frozen disk) is given up on.
 */
export const DRAIN_WRITE_GRACE_MS = 5_000;

/**
 * How long the flush at exit may try: 20 s, or the time a full buffer takes at 20k events/s (a
 * slow disk; ~150k/s is usual) when --buffer-max makes that longer. The systemd unit's
 * TimeoutStopSec is this and a margin.
 */
export function drainDeadlineMs(bufferMax: number): number {
  return Math.max(20_000, Math.ceil(bufferMax / 20));
}

export interface BufferStats {
  waiting: number;
  accepted: number;
  /** events stored (accepted ones a deferred hit's builder dropped are not, nor counted here) */
  committed: number;
  rejectedFull: number;
  /** pendingBytes() of the events held now (waiting + being written) */
  bytes: number;
  flushes: number;
  flushFailures: number;
  /** Durable acks not given in time: answered 503 (pixel endpoints: their GIF) because their batch had not committed within the deadline, or at a stop; their events stay queued and are written. */
  lateAcks: number;
  /** How long the oldest write under way has been (ms; 0 when none): a write held up without failing shows here. */
  writingForMs: number;
}

/** The buffer the options ask for (main.ts and the test app build it the same way). */
export function writeBufferFromConfig(
  config: { flushSize: number; flushInterval: number; bufferMax: number; bufferMaxMb: number; ack: 'buffered' | 'durable' },
  store: EventSink,
  onDropped: (tally: DropTally) => void,
  log?: Logger,
): WriteBuffer {
  return new WriteBuffer({ store, onDropped, flushSize: config.flushSize, flushIntervalMs: config.flushInterval, maxEvents: config.bufferMax, maxBytes: config.bufferMaxMb * MIB, durable: config.ack === 'durable', log });
}

const MIB = 1024 * 1024;
export const DEFAULT_MAX_BYTES = 64 * MIB;

/**
 * Batches in flight at once with durable acks and an ordered sink. With one, each group commit
 * waited for the main thread to take in the last one's result before the next went out, and the
 * writer thread idled meanwhile: the mixed load with `--ack durable` went from 0.20–0.21 to 0.24 of
 * the bare server (bench/mixed-load.ts durable, alternating runs). With 64 connections at most 64
 * requests wait at once, so 16 is rarely reached.
 */
export const MAX_IN_FLIGHT = 16;

/**
 * Batches in flight at once with buffered acks and an ordered sink: the next full batch's text is
 * built and handed to the writer thread while the last one commits. With one, the writer idled
 * while the busy request thread took in its result and built the next batch, and the buffer filled
 * behind it: RudderStack `/v1/batch` (100 messages a request, 16 connections) stored 51–53k
 * messages a second with the writer thread busy 0.47 of the time and 9,158 of 14,400 requests
 * answered 503, against 75–76k, busy 0.68 and 3,106–4,352 of 10,700–11,800 with two
 * (bench/rudder.ts's batch scenario, alternating builds). A batch still goes only when full or at
 * the interval (sendsNext), so commits stay as large.
 */
export const BUFFERED_IN_FLIGHT = 2;

/** A batch handed to an ordered sink whose result is not yet taken in. */
interface InFlightBatch extends Batch {
  result: Promise<DropTally | null>;
  /**
   * The buffer's clock when it went to the sink or, sent behind another, when that one was stored:
   * when its own write began, as near as the buffer can tell (what writingForMs and the stall
   * warning measure, not the wait behind the batch before it).
   */
  sentAt: number;
}

export class WriteBuffer {
  /** Accepted events not yet handed to the store. */
  private readonly queue = new PendingQueue();
  private inFlight = 0;
  /** Room held by hold() for events being built (see there). */
  private held = 0;
  private readonly maxBytes: number;
  /** Sequence number of the last event accepted / committed (events commit in FIFO order). */
  private acceptedSeq = 0;
  private committedSeq = 0;
  /** Durable acks waiting for their events' commit. */
  private readonly waiters: AckWaiters;
  private flushing: Promise<void> | null = null;
  /** Batches handed to the sink whose results are not yet taken in, oldest first. */
  private readonly sent: InFlightBatch[] = [];
  /** MAX_IN_FLIGHT with durable acks and BUFFERED_IN_FLIGHT with buffered ones, given an ordered sink; otherwise one batch at a time. */
  private readonly maxInFlight: number;
  private scheduled = false;
  /**
   * Set by flush() until the queue is empty: each stored batch is followed at once by the next.
   * Otherwise (the interval, or a full batch waiting) a stored batch is followed at once only by
   * another full batch (or by any, with durable acks, whose requests wait): see sendsNext().
   */
  private draining = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lateTimer: ReturnType<typeof setInterval> | null = null;
  /** Cancels the next try after a failed write (failed()). */
  private cancelRetry: (() => void) | null = null;
  private readonly timers: Timers;
  /** close(): the store is gone; nothing more is sent to it. */
  private discarding = false;
  /** When a failed batch may go again, on the monotonic clock (a wall clock set back would stall the retries). */
  private retryAt = 0;
  private consecutiveFailures = 0;
  private closed = false;
  /** drain() has returned: nothing more goes to the store, and a write it gave up on that settles later is only taken in. */
  private drained = false;
  /** The write the log last said was held up (watchStall()), so it is said once. */
  private stallWarned: InFlightBatch | null = null;
  /** When the last "durable acks not given in time" line was written (timers' clock). */
  private lateLoggedAt = -Infinity;
  /** Late acks since that line. */
  private lateUnlogged = 0;
  readonly stats: Omit<BufferStats, 'writingForMs'> = { waiting: 0, accepted: 0, committed: 0, rejectedFull: 0, bytes: 0, flushes: 0, flushFailures: 0, lateAcks: 0 };

  constructor(private readonly opts: WriteBufferOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.timers = opts.timers ?? realTimers;
    this.maxInFlight = opts.store.ordered === true ? (opts.durable ? MAX_IN_FLIGHT : BUFFERED_IN_FLIGHT) : 1;
    this.waiters = new AckWaiters(() => this.timers.now(), opts.ackTimeoutMs ?? DURABLE_ACK_TIMEOUT_MS);
  }

  /** Events held in memory now. */
  get size(): number {
    return this.queue.length + this.inFlight;
  }

  /** Of those, the events in writes under way: stored if such a write completes. */
  get beingWritten(): number {
    return this.inFlight;
  }

  get isDurable(): boolean {
    return this.opts.durable;
  }

  /**
   * Accepts one event. Resolves 'ok' once it is safe by the configured ack mode, or 'full' at once
   * when the buffer is at its cap (the caller answers 503 or, for GIF endpoints, counts the drop),
   * or with durable acks 'late' past the deadline (SubmitOutcome).
   */
  submit(event: PendingEvent): SubmitOutcome | Promise<SubmitOutcome> {
    const bytes = pendingBytes(event);
    if (this.closed || this.size + this.held >= this.opts.maxEvents || this.overBytes(bytes)) {
      this.stats.rejectedFull++;
      return 'full';
    }
    this.queue.push(event, bytes);
    this.stats.bytes += bytes;
    const seq = ++this.acceptedSeq;
    this.stats.accepted++;
    if (this.opts.durable) {
      // Group commit: every request arriving before the next turn of the event loop shares one transaction.
      this.schedule();
      return this.waiters.wait(seq);
    }
    if (this.batchDue()) this.schedule();
    return 'ok';
  }

  /**
   * Resolves 'late' the durable acks that have waited past the deadline (called each second by
   * start()'s timer; tests call it with their clock).
   */
  expireLateAcks(): void {
    const n = this.waiters.expire();
    if (n === 0) return;
    this.stats.lateAcks += n;
    this.lateUnlogged += n;
    const now = this.timers.now();
    if (now - this.lateLoggedAt < LATE_LOG_EVERY_MS) return;
    this.opts.log?.warn('durable acks not given in time (503; pixel endpoints answered their GIF): their events were not committed within the deadline and stay queued to be written', {
      acks: this.lateUnlogged, deadlineMs: this.opts.ackTimeoutMs ?? DURABLE_ACK_TIMEOUT_MS, waiting: this.size, writingForMs: this.writingForMs(),
    });
    this.lateLoggedAt = now;
    this.lateUnlogged = 0;
  }

  /** How long the oldest write under way has been (0 when none). */
  private writingForMs(): number {
    const head = this.sent[0];
    return head ? Math.max(0, Math.round(this.timers.now() - head.sentAt)) : 0;
  }

  /**
   * Says once, per write, that it has been under way WRITE_STALL_WARN_MS or more (called by the
   * interval; tests call it with their clock). A write that fails says so itself.
   */
  watchStall(): void {
    const head = this.sent[0];
    if (!head || head === this.stallWarned || this.timers.now() - head.sentAt < WRITE_STALL_WARN_MS) return;
    this.stallWarned = head;
    this.opts.log?.warn('a write has been under way for a while (a frozen or failing disk, or a lock SQLite waits on): events wait in the buffer meanwhile', {
      events: head.batch.length, writingForMs: this.writingForMs(), waiting: this.size,
    });
  }

  /**
   * Holds room for `count` events a caller is about to build (a big batch, built over several
   * turns of the event loop), or refuses them now (counted). Held room counts as taken for every
   * other submit, so batches built at the same time never add up past the cap, and one that
   * would not fit is refused before the work. The caller then passes `count` to submitAll(), or
   * to release() if it gives up. submitAll() still decides on the bytes, known only once built.
   */
  hold(count: number): boolean {
    if (this.closed || this.overCount(count) || this.overBytes(0)) {
      this.stats.rejectedFull += count;
      return false;
    }
    this.held += count;
    return true;
  }

  release(count: number): void {
    this.held = Math.max(0, this.held - count);
  }

  /**
   * Accepts all events or none (a RudderStack batch is never half-stored): 'full' when they do
   * not all fit. Resolves like submit(), once the last of them is safe.
   */
  submitAll(events: readonly PendingEvent[], held = 0): SubmitOutcome | Promise<SubmitOutcome> {
    this.release(held);
    if (events.length === 0) return 'ok';
    const sizes = events.map(pendingBytes);
    const bytes = sizes.reduce((a, b) => a + b, 0);
    if (this.closed || this.overCount(events.length) || this.overBytes(bytes)) {
      this.stats.rejectedFull += events.length;
      return 'full';
    }
    this.queue.pushAll(events, sizes, bytes);
    this.stats.bytes += bytes;
    this.acceptedSeq += events.length;
    this.stats.accepted += events.length;
    const seq = this.acceptedSeq;
    if (this.opts.durable) {
      this.schedule();
      return this.waiters.wait(seq);
    }
    if (this.batchDue()) this.schedule();
    return 'ok';
  }

  /**
   * A full batch waits: --flush-size events, or as many as one batch takes (by count or bytes).
   * Each stored batch is followed by the next while one is due, so what is left for the interval
   * is less than a batch, and it goes in one (after failed writes, or while a batch is in flight
   * at the tick, the batches before it take the rest down to that first).
   */
  private batchDue(): boolean {
    return this.queue.holdsBatch(this.opts.flushSize);
  }

  /**
   * Whether `count` more events would pass the event cap: they do not fit, and the buffer is past
   * half full. A RudderStack batch of more messages than --buffer-max by itself (120k tiny ones fit
   * rudder-server's 4,000 KiB), or one that does not fit beside steady traffic, would otherwise be
   * refused for ever, its client told to retry: it is taken while the buffer is at most half full.
   * Taken (or held while built), it leaves the buffer past half, so one such overshoot at a time,
   * of one request body's worth.
   */
  private overCount(count: number): boolean {
    const taken = this.size + this.held;
    return taken + count > this.opts.maxEvents && taken > this.opts.maxEvents / 2;
  }

  /**
   * Whether `bytes` more would pass the byte cap, by the same rule: a request larger than what is
   * left (a 4 MB batch of 54k tiny messages is counted ~70 MB) is taken while the buffer holds at
   * most half the cap.
   */
  private overBytes(bytes: number): boolean {
    return this.stats.bytes + bytes > this.maxBytes && this.stats.bytes > this.maxBytes / 2;
  }

  /** Starts the interval flush. Not called by tests that drive flush() themselves. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.queue.length) void this.write();
    }, this.opts.flushIntervalMs);
    // Durable acks past their deadline are answered, and a held-up write said, within a second, whatever the flush interval.
    this.lateTimer = setInterval(() => {
      if (this.waiters.count > 0) this.expireLateAcks();
      this.watchStall();
    }, this.opts.lateCheckMs ?? LATE_CHECK_MS);
    this.lateTimer.unref?.();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  /**
   * Writes what waits, one batch per transaction, until nothing waits or a write fails. A failed
   * batch goes back to the front of the queue (never dropped) and the next try waits with backoff.
   * An ordered sink takes up to MAX_IN_FLIGHT batches at once with durable acks, BUFFERED_IN_FLIGHT
   * with buffered ones; any other sink one, the next going out once the last is stored.
   */
  flush(): Promise<void> {
    this.draining = true;
    return this.write();
  }

  /** Sends what waits (up to maxInFlight batches) and takes in their results; see `draining` for what follows. */
  private write(): Promise<void> {
    this.send();
    if (this.flushing) return this.flushing;
    this.flushing = this.takeResults().finally(() => {
      this.flushing = null;
      // A batch sent after takeResults() found none left but before this ran has no one to take it in.
      if (this.sent.length) void this.write();
      else this.draining = false;
    });
    return this.flushing;
  }

  /**
   * Whether a stored batch is followed at once by the next: with durable acks (requests wait),
   * during flush(), or once a full batch waits (batchDue); fewer wait for the next interval.
   * Sending whatever arrived while the last batch was being stored made batches of ~90 Prisme
   * pageviews at ~10k a second, whatever --flush-size said: each paid the JSON text, the message
   * and the commit for a few, and the request thread spent ~5.3 µs per pageview on the JSON text
   * alone, against ~0.8 µs per event in batches of 2,000.
   */
  private sendsNext(): boolean {
    return this.draining || this.opts.durable || this.batchDue();
  }

  /**
   * Hands waiting batches to the sink, up to maxInFlight, without waiting for the ones before
   * (takeResults() takes their results in order). Nothing goes out while a failure is being
   * handled or its retry is not yet due. Only the first batch of a call may be less than a full
   * one (at the interval); the rest go only while sendsNext() says so (a full batch waits, a
   * drain, or durable acks), or a batch cut at its 4 MiB would be followed at once by its tail.
   */
  private send(): void {
    for (let n = 0; !this.discarding && !this.drained && this.queue.length && this.sent.length < this.maxInFlight && this.timers.now() >= this.retryAt; n++) {
      if (n > 0 && !this.sendsNext()) return;
      const taken = this.queue.take();
      this.inFlight += taken.batch.length;
      const result = this.opts.store.insertPending(taken.batch);
      // Taken in by takeResults(), in order; this only keeps a failure from being reported as unhandled.
      result.catch(() => {});
      this.sent.push({ ...taken, result, sentAt: this.timers.now() });
    }
  }

  /**
   * Takes the results of the batches in flight, oldest first. Once one is stored, the next goes
   * if sendsNext() says so: with one batch at a time, at once; with several, on the next turn
   * with whatever arrives before it (sent at once, it made more, smaller commits and slower acks:
   * the mixed durable load 0.20–0.22 of the bare server against 0.23–0.24). When one fails,
   * every batch after it failed unwritten too (EventSink.ordered): once all have answered, they
   * all go back to the front of the queue, in order, for a retry.
   */
  private async takeResults(): Promise<void> {
    while (this.sent.length) {
      const head = this.sent[0]!;
      let dropped: DropTally | null;
      try {
        dropped = await head.result;
      } catch (err) {
        this.retryAt = Infinity; // nothing goes out until the failure is handled
        const outcomes = await Promise.allSettled(this.sent.map((b) => b.result));
        const back = this.sent.splice(0);
        this.inFlight = 0;
        if (this.stallWarned && back.includes(this.stallWarned)) this.stallWarned = null;
        // A later batch written after all would be written twice by the retry: an ack is never
        // given for an event not written, at the cost of a duplicate row.
        const written = outcomes.filter((o) => o.status === 'fulfilled').length;
        if (written) this.opts.log?.error('a batch after a failed one was written; the retry writes it again', { batches: written });
        this.failed(back, err);
        return;
      }
      this.sent.shift();
      this.inFlight -= head.batch.length;
      // The batch behind it only starts its write now (the writer takes them in order).
      const next = this.sent[0];
      if (next) next.sentAt = Math.max(next.sentAt, this.timers.now());
      if (head === this.stallWarned) {
        this.stallWarned = null;
        this.opts.log?.info('the write that was held up is done', { events: head.batch.length, ms: Math.round(this.timers.now() - head.sentAt) });
      }
      this.committed(head.batch, head.sizes, dropped, this.timers.now() - head.sentAt);
      if (this.queue.length && this.sendsNext()) {
        if (this.maxInFlight === 1) this.send();
        else this.schedule();
      }
    }
  }

  /** A batch is stored: counts, drops, the durable acks it completes, and (at --log-level debug) a line saying so. */
  private committed(batch: PendingEvent[], sizes: number[], dropped: DropTally | null, ms: number): void {
    for (const b of sizes) this.stats.bytes -= b;
    if (this.consecutiveFailures > 0) this.opts.log?.info('flushes recovered: the events kept for retry are being written', { failedInARow: this.consecutiveFailures, failures: this.stats.flushFailures, waiting: this.size });
    this.opts.log?.debug('batch written', { events: batch.length, notStored: dropped ?? {}, ms: Math.round(ms * 10) / 10, waiting: this.queue.length, inFlight: this.inFlight });
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    this.committedSeq += batch.length;
    this.stats.committed += batch.length;
    if (dropped) {
      for (const n of Object.values(dropped)) this.stats.committed -= n;
      this.opts.onDropped?.(dropped);
    }
    this.stats.flushes++;
    this.waiters.release(this.committedSeq);
  }

  /**
   * Batches that were not stored go back to the front of the queue, in order (never dropped),
   * and the next try waits with backoff.
   */
  private failed(batches: Batch[], err: unknown): void {
    this.queue.putBack(batches);
    // The store went away on purpose (close()), or the stop's flush has given up (a write that
    // settles after it): no retry, and nothing to report but what the stop says.
    if (this.discarding || this.drained) return;
    this.stats.flushFailures++;
    this.consecutiveFailures++;
    // While draining, at most DRAIN_RETRY_MAX_MS apart: the exit deadline is near, and a disk that has
    // room again should be written to before it, not after a backoff that outlasts it.
    const max = Math.min(this.opts.retryMaxMs ?? 30_000, this.closed ? DRAIN_RETRY_MAX_MS : Infinity);
    const delay = Math.min((this.opts.retryBaseMs ?? 100) * 2 ** (this.consecutiveFailures - 1), max);
    this.retryAt = this.timers.now() + delay;
    this.opts.log?.error('flush failed; batch kept for retry', {
      events: batches.reduce((n, b) => n + b.batch.length, 0), retryInMs: delay, failures: this.stats.flushFailures, error: String(err),
    });
    // The retry is armed whatever else runs: waiting for the next --flush-interval tick instead
    // left a full buffer refusing events for up to that interval (a minute, if so configured)
    // after the database took writes again. Once the interval runs, a retry writes as a tick does.
    // While draining, drain() alone retries: a timer's write could start as its deadline passed
    // and fail after it returned, arming another try on a store being closed.
    this.cancelRetry?.();
    this.cancelRetry = null;
    if (this.closed) return;
    this.cancelRetry = this.timers.after(delay, () => {
      this.cancelRetry = null;
      if (!this.timer) void this.flush();
      else if (this.queue.length) void this.write();
    });
  }

  /**
   * Answers every durable ack still waiting 'late' (503: not acknowledged; the event stays queued
   * and is still written), for a shutdown that is about to cut their connections. Returns how many.
   */
  answerWaitingLate(): number {
    const n = this.waiters.answerAllLate();
    this.stats.lateAcks += n;
    return n;
  }

  /**
   * Refuses new events and sends nothing more to the store (it is gone: see main.ts); what is
   * held stays unwritten. The durable acks still waiting are answered 'late' (503) at once: a
   * batch already with the store may still commit, but into a file no path leads to, and its
   * 200s would have promised events that are lost.
   */
  close(): void {
    this.closed = true;
    this.discarding = true;
    this.stopTimers();
    this.answerWaitingLate();
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.lateTimer) clearInterval(this.lateTimer);
    this.cancelRetry?.();
    this.timer = this.lateTimer = null;
    this.cancelRetry = null;
  }

  /**
   * Shutdown: refuse new events, then write everything, retrying failed batches at once, then with
   * backoff (at most DRAIN_RETRY_MAX_MS apart, and once more at the deadline) for up to `deadlineMs`. Returns
   * how many events could not be written (0 on a clean drain).
   */
  async drain(deadlineMs = 20_000): Promise<number> {
    this.closed = true;
    this.stopTimers();
    const until = this.timers.now() + deadlineMs;
    // A retry due later is tried now: the backoff may have grown to half a minute.
    if (this.queue.length && this.sent.length === 0) this.retryAt = 0;
    while (this.size > 0 && this.timers.now() < until) {
      // A write held up without failing (a frozen disk) must not hold the stop much past its
      // deadline; one waiting on a lock gets the lock's wait.
      if (!(await this.flushBy(until + DRAIN_WRITE_GRACE_MS))) break;
      const now = this.timers.now();
      if (this.queue.length && this.retryAt > now) {
        if (this.retryAt < until) {
          await this.timers.sleep(this.retryAt - now);
          continue;
        }
        // The next retry is due after the deadline: one last try at it instead (the disk may have
        // room again), unless the deadline passed during the try just made (a write that waited on
        // a lock): then none, or the drain would outlast it by a second wait.
        if (now >= until) break;
        await this.timers.sleep(until - now);
        this.retryAt = 0;
        await this.flushBy(until + DRAIN_WRITE_GRACE_MS);
        break;
      }
    }
    // failed() arms no retry once closed; this only makes sure no timer outlives the drain.
    this.stopTimers();
    this.drained = true;
    return this.size;
  }

  /** flush(), waited for until `until` at most: whether it finished by then. */
  private async flushBy(until: number): Promise<boolean> {
    let cancel = () => {};
    const deadline = new Promise<false>((resolve) => {
      cancel = this.timers.after(Math.max(0, until - this.timers.now()), () => resolve(false));
    });
    try {
      return await Promise.race([this.flush().then(() => true as const), deadline]);
    } finally {
      cancel();
    }
  }

  /** The deferred hits' UA cache (pixel user agents). */
  builderUaCache(): CacheStats {
    return this.opts.store.builderUaCache();
  }

  snapshot(): BufferStats {
    return { ...this.stats, waiting: this.size, writingForMs: this.writingForMs() };
  }
}
