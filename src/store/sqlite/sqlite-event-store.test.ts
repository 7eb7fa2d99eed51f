import { eventStoreContract } from '../../../test/contract/event-store.contract.ts';
import { openDatabase } from './open-database.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';

eventStoreContract('sqlite (:memory:)', async () => new SqliteEventStore(openDatabase(':memory:')));

import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { join } from 'node:path';
import { sourceWorkerUrls, ThreadedSqliteEventStore } from './threaded-event-store.ts';

eventStoreContract('sqlite on a writer thread (file)', async () => {
  const path = join(tempDir('footfall-threaded-'), 'footfall.db');
  return ThreadedSqliteEventStore.open(path, openDatabase(path), sourceWorkerUrls());
});

import { describe, expect, it } from 'bun:test';
import { heapStats } from 'bun:jsc';
import { EVENT_FIELDS, type CanonicalEvent } from '../../ingest/event.ts';
import { eventRow, ROW_FIELDS } from './sqlite-event-store.ts';
import { makeEvent, tooDeep } from '../../../test/helpers/events.ts';

describe('eventRow', () => {
  it('lists every canonical field once, in the table column order, properties and payload last, as JSON values', () => {
    expect([...ROW_FIELDS].sort()).toEqual([...EVENT_FIELDS].sort());
    const e = Object.fromEntries(EVENT_FIELDS.map((f) => [f, `value of ${f}`])) as unknown as CanonicalEvent;
    e.properties = { a: 1 };
    e.payload = { b: [true] };
    expect(eventRow(e)).toEqual(ROW_FIELDS.map((f) => e[f]) as (string | number | null)[]);
    expect(ROW_FIELDS.slice(-2)).toEqual(['properties', 'payload']);
  });

  it('is read back by scan() as events whose fields come in EVENT_FIELDS order', async () => {
    const store = new SqliteEventStore(openDatabase(':memory:'));
    store.insertBatchSync([makeEvent(1, { properties: { plan: 'pro' } })]);
    for await (const e of store.scan({})) expect(Object.keys(e)).toEqual([...EVENT_FIELDS]);
    expect(await store.count()).toBe(1);
  });
});

describe('insertRowsSync', () => {
  const rows = () => Array.from({ length: 37 }, (_, i) => eventRow(makeEvent(i, { properties: i === 20 ? { deep: tooDeep() } : { i } })));

  it('leaves out a row it cannot write, reports it and stores the rest, when given somewhere to report it', async () => {
    const store = new SqliteEventStore(openDatabase(':memory:'));
    const errors: unknown[] = [];
    store.insertRowsSync(rows(), (e) => errors.push(e));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RangeError);
    expect(await store.count()).toBe(36);
    const kept: unknown[] = [];
    for await (const e of store.scan({})) kept.push(e.properties?.i);
    expect(kept).toEqual(Array.from({ length: 37 }, (_, i) => i).filter((i) => i !== 20));
  });

  it('otherwise fails the whole batch and stores none of it', async () => {
    const store = new SqliteEventStore(openDatabase(':memory:'));
    expect(() => store.insertRowsSync(rows())).toThrow(RangeError);
    expect(await store.count()).toBe(0);
  });
});

describe('scans', () => {
  it('hold at most ~8 MiB of large rows at a time, however many fit in a page by count', async () => {
    const store = new SqliteEventStore(openDatabase(':memory:'));
    // 40 events of 1 MB properties: one page of 256 rows by count would hold all 40 MB.
    store.insertBatchSync(Array.from({ length: 40 }, (_, i) => makeEvent(i, { properties: { blob: `${i}`.padEnd(1_000_000, 'b') } })));
    for (const scan of [() => store.scanNdjson({}), () => store.scan({})]) {
      Bun.gc(true);
      const before = heapStats().heapSize;
      let heldAtFirst = 0;
      let n = 0;
      for await (const _ of scan()) {
        if (n++ === 0) {
          Bun.gc(true);
          heldAtFirst = heapStats().heapSize - before;
        }
      }
      expect(n).toBe(40);
      expect(heldAtFirst).toBeLessThan(20_000_000);
    }
  });

  it('yield every row stored before they started when a row committed between a page\'s two reads takes a place in it', async () => {
    const db = openDatabase(':memory:');
    const store = new SqliteEventStore(db);
    const first = Array.from({ length: 10 }, (_, i) => makeEvent(i + 1));
    store.insertBatchSync(first);
    // The writer thread commits on its own connection at any moment: here, once, just before the
    // first page's rows are read (after their sizes were), a row older than all of them.
    const prepare = db.prepare.bind(db);
    let injected = false;
    db.prepare = ((sql: string) => {
      const st = prepare(sql);
      if (sql.endsWith('LIMIT ?')) {
        const values = st.values.bind(st);
        st.values = ((...args: never[]) => {
          if (!injected) (injected = true), store.insertBatchSync([makeEvent(0)]);
          return values(...args);
        }) as typeof st.values;
      }
      return st;
    }) as typeof db.prepare;
    const ids: string[] = [];
    for await (const e of store.scan({})) ids.push(e.id);
    expect(injected).toBe(true);
    for (const e of first) expect(ids).toContain(e.id);
  });
});
