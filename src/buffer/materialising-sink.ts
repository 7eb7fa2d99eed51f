/** @module An EventStore as the write buffer's sink: deferred hits are built into events on this thread, just before the insert. */
import type { DropTally } from '../ingest/drop-reasons.ts';
import { eventBuilders, materialiseBatch, type EventBuilders, type PendingEvent } from '../ingest/pending-event.ts';
import type { EventStore } from '../store/event-store.ts';
import type { EventSink } from './event-sink.ts';

export function materialisingSink(store: Pick<EventStore, 'insertBatch'>, builders: EventBuilders = eventBuilders()): EventSink {
  return {
    async insertPending(items: readonly PendingEvent[]): Promise<DropTally | null> {
      const tally: DropTally = {};
      const events = materialiseBatch(items, builders, tally);
      await store.insertBatch(events);
      return Object.keys(tally).length ? tally : null;
    },
    builderUaCache: () => builders.ua.stats(),
  };
}
