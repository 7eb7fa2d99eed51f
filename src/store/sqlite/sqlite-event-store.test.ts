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
