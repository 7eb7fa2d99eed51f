/** @module The EventStore contract: one suite every adapter must pass. */
import { describe, expect, it } from 'bun:test';
import type { EventStore } from '../../src/store/event-store.ts';
import { makeEvent, T0 } from '../helpers/events.ts';

export function eventStoreContract(name: string, open: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    it('gives back exactly the events it stored, field for field, oldest first', async () => {
      const store = await open();
      const events = Array.from({ length: 37 }, (_, i) => makeEvent(i));
      await store.insertBatch(events.slice(20));
      await store.insertBatch(events.slice(0, 20));
      const out: unknown[] = [];
      for await (const e of store.scan({})) out.push(e);
      expect(out).toEqual(events);
      await store.close();
    });

    it('filters by website, pixel and inclusive time range', async () => {
      const store = await open();
      const a = Array.from({ length: 10 }, (_, i) => makeEvent(i, { websiteId: 'a' }));
      const p = Array.from({ length: 5 }, (_, i) => makeEvent(100 + i, { websiteId: null, pixelId: 'p', source: 'pixel', type: 'pixel' }));
      await store.insertBatch([...a, ...p]);
      expect(await store.count({ websiteId: 'a' })).toBe(10);
      expect(await store.count({ pixelId: 'p' })).toBe(5);
      expect(await store.count({ websiteId: 'a', startAt: T0 + 20, endAt: T0 + 50 })).toBe(4);
      const ids: string[] = [];
      for await (const e of store.scan({ websiteId: 'a', startAt: T0 + 20, endAt: T0 + 50 })) ids.push(e.id);
      expect(ids).toEqual(a.slice(2, 6).map((e) => e.id));
      expect(await store.count()).toBe(15);
      await store.close();
    });

    it('pages through more events than one scan page without losing or repeating any', async () => {
      const store = await open();
      // Many events share a timestamp, so paging must not rely on the time alone.
      const events = Array.from({ length: 2500 }, (_, i) => makeEvent(Math.floor(i / 7)));
      await store.insertBatch(events);
      let n = 0;
      const seen = new Set<string>();
      for await (const e of store.scan({ websiteId: events[0]!.websiteId! })) {
        seen.add(e.id);
        n++;
      }
      expect(n).toBe(2500);
      expect(seen.size).toBe(2500);
      await store.close();
    });

    it('keeps property and payload JSON types', async () => {
      const store = await open();
      const e = makeEvent(0, { properties: { s: 'x', n: 1.5, b: false, z: null, o: { a: [1, '2'] } }, payload: { type: 'track', integrations: { All: true } } });
      await store.insertBatch([e]);
      for await (const got of store.scan({})) {
        expect(got.properties).toEqual({ s: 'x', n: 1.5, b: false, z: null, o: { a: [1, '2'] } });
        expect(got.payload).toEqual({ type: 'track', integrations: { All: true } });
      }
      await store.close();
    });

    it('stores nothing of a batch that fails', async () => {
      const store = await open();
      const good = makeEvent(1);
      const bad = makeEvent(2, { timestamp: 'not a time' as string });
      // A NOT NULL column receiving NaN→null makes the whole transaction fail. (try/catch, not
      // expect().rejects: that blocks the event loop in bun test, so a worker's reply never lands.)
      let error: unknown;
      try {
        await store.insertBatch([good, bad]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(await store.count()).toBe(0);
      await store.close();
    });
  });
}
