/** @module PendingQueue: events accepted and not yet handed to the store, with their sizes → batches of at most MAX_BATCH events and MAX_BATCH_BYTES, never cutting the events of one request apart. */
import type { PendingEvent } from '../ingest/pending-event.ts';

const MIB = 1024 * 1024;

/** Largest batch per transaction: ~60 ms of SQLite work at 150k rows/s keeps the event loop responsive. */
export const MAX_BATCH = 10_000;
/**
 * Largest batch by pendingBytes(), beyond its first event: a batch is one JSON text for the writer
 * thread and one transaction, and 10k events of 500 KB queries would be a 5 GB string. (8 MiB
 * batches of 16 KB events peaked 20–30 MB higher in bench/long-urls.ts; ~1 KB events still make
 * batches of ~6,000, more than --flush-size's 2,000.)
 */
export const MAX_BATCH_BYTES = 4 * MIB;

/** A batch taken off the queue: its events, their pendingBytes() and whether each came with the one before it (pushAll), in step. */
export interface Batch {
  batch: PendingEvent[];
  sizes: number[];
  joined: boolean[];
}

export class PendingQueue {
  private events: PendingEvent[] = [];
  /** pendingBytes() of each event, in step with `events`. */
  private sizes: number[] = [];
  /**
   * Whether each event came in the same pushAll() as the one before it: no batch is cut there, so
   * a request's events (a RudderStack batch) are stored in one transaction, whole or not at all,
   * as rudder-server stores a request as one job. A crash between two transactions had left part
   * of a large batch stored, unanswered, and the SDK's retry stored that part twice.
   */
  private joined: boolean[] = [];
  private waitingBytes = 0;

  /** Events waiting. */
  get length(): number {
    return this.events.length;
  }

  /** pendingBytes() of the events waiting. */
  get bytes(): number {
    return this.waitingBytes;
  }

  push(event: PendingEvent, size: number): void {
    this.events.push(event);
    this.sizes.push(size);
    this.joined.push(false);
    this.waitingBytes += size;
  }

  /** Events that go in together, and are stored together (a RudderStack batch); `bytes` is the sum of `sizes`. */
  pushAll(events: readonly PendingEvent[], sizes: readonly number[], bytes: number): void {
    for (const e of events) this.events.push(e);
    for (const b of sizes) this.sizes.push(b);
    for (let i = 0; i < events.length; i++) this.joined.push(i > 0);
    this.waitingBytes += bytes;
  }

  /** Whether a full batch waits: `flushSize` events, or as many as one batch takes (by count or bytes). */
  holdsBatch(flushSize: number): boolean {
    return this.events.length >= Math.min(flushSize, MAX_BATCH) || this.waitingBytes >= MAX_BATCH_BYTES;
  }

  /**
   * The next batch off the front: MAX_BATCH events at most, and MAX_BATCH_BYTES after its first,
   * cut between requests; a request's events that pass those alone go whole, as one batch.
   */
  take(): Batch {
    const take = this.batchLength();
    const all = take === this.events.length;
    const batch = all ? this.events : this.events.slice(0, take);
    const sizes = all ? this.sizes : this.sizes.slice(0, take);
    const joined = all ? this.joined : this.joined.slice(0, take);
    this.events = all ? [] : this.events.slice(take);
    this.sizes = all ? [] : this.sizes.slice(take);
    this.joined = all ? [] : this.joined.slice(take);
    for (const b of sizes) this.waitingBytes -= b;
    return { batch, sizes, joined };
  }

  /** Batches that were not stored, back at the front in the order given (never dropped). */
  putBack(batches: readonly Batch[]): void {
    const sizes = batches.flatMap((b) => b.sizes);
    this.events = batches.flatMap((b) => b.batch).concat(this.events);
    this.sizes = sizes.concat(this.sizes);
    this.joined = batches.flatMap((b) => b.joined).concat(this.joined);
    for (const b of sizes) this.waitingBytes += b;
  }

  private batchLength(): number {
    return this.atRequestStart(this.capsLength());
  }

  /** How many events from the front fit MAX_BATCH and MAX_BATCH_BYTES (the first always does). */
  private capsLength(): number {
    const n = Math.min(this.events.length, MAX_BATCH);
    let bytes = this.sizes[0]!;
    for (let i = 1; i < n; i++) {
      bytes += this.sizes[i]!;
      if (bytes > MAX_BATCH_BYTES) return i;
    }
    return n;
  }

  /** A cut at `n` moved back to the start of the request it falls in, or, in the first request, on to its end. */
  private atRequestStart(n: number): number {
    if (n >= this.events.length || !this.joined[n]) return n;
    let start = n;
    while (start > 0 && this.joined[start]) start--;
    if (start > 0) return start;
    let end = n;
    while (end < this.events.length && this.joined[end]) end++;
    return end;
  }
}
