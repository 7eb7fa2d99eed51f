/** @module EventSink: where the write buffer's batches go (the interface between the buffer and the stores). */
import type { DropTally } from '../ingest/drop-reasons.ts';
import type { PendingEvent } from '../ingest/pending-event.ts';
import type { CacheStats } from '../ingest/user-agent.ts';

/**
 * Where batches go: an EventStore behind materialisingSink(), or the threaded SQLite store,
 * whose writer thread builds deferred hits' events itself.
 */
export interface EventSink {
  /** Stores the batch in one transaction; resolves with the hits it did not store, by reason (none: null). */
  insertPending(items: readonly PendingEvent[]): Promise<DropTally | null>;
  /** The UA cache of whoever builds deferred hits (as of the last batch, for the writer thread). */
  builderUaCache(): CacheStats;
  /**
   * True when batches handed over before an earlier one's result is known are written in the
   * order given, and once one fails, every later one handed over before that failure was
   * reported fails too, unwritten. Only then may the buffer keep several batches in flight.
   */
  readonly ordered?: boolean;
}
