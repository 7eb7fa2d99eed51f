/** @module The EventStore contract: one suite every adapter must pass. */
import { describe, expect, it } from 'bun:test';
import type { EventStore } from '../../src/store/event-store.ts';
import { makeEvent, T0 } from '../helpers/events.ts';
import { ndjsonLine } from '../../src/http/event-lines.ts';
import { readJsonObjectPrefix } from '../../src/lib/json-object-prefix.ts';

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

    it('writes NDJSON itself (when it can) byte for byte as the exporter writes the events it scans, awkward text included', async () => {
      const store = await open();
      if (!store.scanNdjson) return void (await store.close());
      const awkward = ['quote " backslash \\ slash /', 'controls \b\f\n\r\t \u0000 \u0001 \u001f \u007f', 'unicode é 漢字 😀 \u2028 \u2029 \ufeff', '', ' ', 'null', '{"not":"json"}', 'lone \ud800 surrogate \udfff'];
      const events = awkward.map((text, i) =>
        makeEvent(i, { name: text, url: `https://shop.example/${i}?q=${text}`, path: text, referrer: i % 2 ? null : text, status: i % 2 ? 404 : null,
          properties: i % 3 ? { text, n: i / 7, big: 1e21, neg: -0.5, list: [true, null, text], nested: { '2': 1, '1': text, b: [] } } : null,
          payload: i % 2 ? { anonymousId: text, context: { page: { title: text } } } : null }),
      );
      // Times before 1970 (negative ms), the last millisecond of a year, a whole second, and
      // one a store may not be able to write itself (year 10000; no clock gives one).
      // Prisme properties whose numbers keep their text (exact-json.ts): as sent, in both writers.
      const exact = readJsonObjectPrefix('{ "big": 1e400, "id": 12345678901234567890, "p": 1.50, "t": "x" }');
      if (!exact.ok) throw new Error('test body refused');
      events.push(makeEvent(12, { properties: exact.value, payload: { anonymousId: 'a', properties: { payload: 1 } } }), makeEvent(13, { properties: exact.value }));
      events.push(
        makeEvent(7, { timestamp: '1969-12-31T23:59:59.999Z' }), makeEvent(8, { timestamp: '2026-12-31T23:59:59.999Z' }), makeEvent(9, { timestamp: '2026-01-01T00:00:00.000Z' }),
        makeEvent(10, { timestamp: '0001-02-03T04:05:06.007Z' }), makeEvent(11, { timestamp: '1900-01-01T00:00:00.001Z' }),
      );
      const expectedText = async () => {
        let text = '';
        for await (const e of store.scan({})) text += ndjsonLine(e);
        return text;
      };
      const writtenPieces = async () => {
        const pieces: string[] = [];
        for await (const piece of store.scanNdjson!({})) pieces.push(piece);
        return pieces;
      };
      await store.insertBatch(events);
      let pieces = await writtenPieces();
      for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true);
      expect(pieces.join('')).toBe(await expectedText());
      expect(pieces.join('').split('\n').length - 1).toBe(events.length);
      expect(pieces.join('')).toContain('"properties":{"big":1e400,"id":12345678901234567890,"p":1.50,"t":"x"},"payload":{"anonymousId":"a","properties":{"payload":1}}}\n');
      // A page holding a time out of the store's own range is written all the same.
      await store.insertBatch([makeEvent(12, { timestamp: '+010000-01-01T00:00:00.000Z', name: 'far \u2028 future' })]);
      pieces = await writtenPieces();
      expect(pieces.join('')).toBe(await expectedText());
      expect(pieces.join('')).toContain('"timestamp":"+010000-01-01T00:00:00.000Z"');
      await store.close();
    });

    it('writes NDJSON itself across many pages, in the order scan() reads', async () => {
      const store = await open();
      if (!store.scanNdjson) return void (await store.close());
      // Equal times across page boundaries: the keyset must carry on after the right row.
      await store.insertBatch(Array.from({ length: 1000 }, (_, i) => makeEvent(Math.floor(i / 7), { name: `e${i}` })));
      let expected = '';
      for await (const e of store.scan({})) expected += ndjsonLine(e);
      let written = '';
      for await (const piece of store.scanNdjson({})) written += piece;
      expect(written).toBe(expected);
      expect(written.split('\n').length - 1).toBe(1000);
      await store.close();
    });

    it('writes NDJSON in time order, not in the order the events were stored', async () => {
      const store = await open();
      if (!store.scanNdjson) return void (await store.close());
      // 700 times shuffled (a fixed permutation), stored in three batches: three pages.
      const times = Array.from({ length: 700 }, (_, i) => (i * 337) % 700);
      for (let b = 0; b < 700; b += 250) await store.insertBatch(times.slice(b, b + 250).map((t) => makeEvent(t, { name: `t${t}` })));
      let written = '';
      for await (const piece of store.scanNdjson({})) written += piece;
      const names = written.trimEnd().split('\n').map((l) => (JSON.parse(l) as { name: string }).name);
      expect(names).toEqual(Array.from({ length: 700 }, (_, t) => `t${t}`));
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

    it('reads the events of no website and no pixel apart, oldest first', async () => {
      const store = await open();
      const none = [3, 1, 2].map((i) => makeEvent(i, { websiteId: null, pixelId: null, name: `none-${i}` }));
      await store.insertBatch([makeEvent(0, { websiteId: 'a' }), ...none, makeEvent(4, { websiteId: null, pixelId: 'p', source: 'pixel', type: 'pixel' })]);
      expect(await store.count({ unassigned: true })).toBe(3);
      const names: (string | null)[] = [];
      for await (const e of store.scan({ unassigned: true, startAt: T0 + 10 })) names.push(e.name);
      expect(names).toEqual(['none-1', 'none-2', 'none-3']);
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
