/** @module The EventStore interface: how batches of canonical events get stored and read back. */
import type { CanonicalEvent } from '../ingest/event.ts';

export interface EventFilter {
  websiteId?: string;
  pixelId?: string;
  /** Only the events of no website and no pixel (Prisme events on a host no website covers). */
  unassigned?: boolean;
  /** Inclusive lower bound, ms since epoch. */
  startAt?: number;
  /** Inclusive upper bound, ms since epoch. */
  endAt?: number;
}

export interface EventStore {
  /** Stores the whole batch atomically: either every event is committed or none is (then it throws). */
  insertBatch(events: readonly CanonicalEvent[]): Promise<void>;
  /**
   * Oldest first, in constant memory: implementations page through the store. Give a website,
   * a pixel or `unassigned`: the SQLite adapter keeps time order by index for those only, so
   * a scan without any sorts the whole table again for every page (300k events: ~350 µs per
   * event, against ~3 µs for one website's). Nothing outside tests scans without one.
   */
  scan(filter: EventFilter): AsyncIterable<CanonicalEvent>;
  /**
   * Optional: the same events as NDJSON text, byte for byte what the export's ndjsonLine()
   * writes for them, built by the store itself (a test holds every adapter that has it to that).
   * Yielded in pieces of one or more whole lines (each line ends in `\n`).
   */
  scanNdjson?(filter: EventFilter): AsyncIterable<string>;
  count(filter?: EventFilter): Promise<number>;
  close(): Promise<void>;
}
