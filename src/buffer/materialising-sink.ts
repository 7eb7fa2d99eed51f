/** @module An EventStore as the write buffer's sink: deferred hits are built into events on this thread, just before the insert. */
import { materialiseBatch, type DropTally, type PendingEvent } from '../ingest/pending-event.ts';
import type { UserAgentParser } from '../ingest/user-agent.ts';
import type { EventStore } from '../store/event-store.ts';
import type { EventSink } from './write-buffer.ts';

export function materialisingSink(store: Pick<EventStore, 'insertBatch'>, ua: UserAgentParser): EventSink {
  return {
    async insertPending(items: readonly PendingEvent[]): Promise<DropTally | null> {
      const tally: DropTally = {};
      const events = materialiseBatch(items, ua, tally);
      await store.insertBatch(events);
      return Object.keys(tally).length ? tally : null;
    },
  };
}
