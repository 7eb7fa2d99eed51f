/** @module Microbenchmark: write buffer → SQLite file flush rate (events/s), checked by counting rows. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteBuffer } from '../src/buffer/write-buffer.ts';
import { materialisingSink } from '../src/buffer/materialising-sink.ts';
import { openDatabase } from '../src/store/sqlite/open-database.ts';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.ts';
import { makeEvent } from '../test/helpers/events.ts';
import { check, line } from './lib/report.ts';

const N = Number(process.env.FLUSH_EVENTS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'footfall-bench-flush-'));
const db = openDatabase(join(dir, 'footfall.db'));
const store = new SqliteEventStore(db);
const buffer = new WriteBuffer({ store: materialisingSink(store), flushSize: 2000, flushIntervalMs: 250, maxEvents: N, durable: false });

// Build the events first: the figure is the flush, not event construction.
const events = Array.from({ length: N }, (_, i) => makeEvent(i));

// Raw baseline in the same run: plain prepared single-row inserts in one transaction per 2000 rows.
const raw = openDatabase(join(dir, 'raw.db'));
const cols = 34;
const stmt = raw.prepare(`INSERT INTO events VALUES (${Array(cols).fill('?').join(',')})`);
let t0 = performance.now();
for (let i = 0; i < N; i += 2000) {
  raw.transaction(() => {
    for (let j = i; j < Math.min(N, i + 2000); j++) {
      const e = events[j]!;
      stmt.run(e.id, Date.parse(e.timestamp), e.source, e.type, e.websiteId, e.pixelId, e.name, e.url, e.hostname, e.path, e.query, e.referrer, e.referrerDomain, e.target, e.status, e.visitorId, e.sessionId, e.anonymousId, e.userId, e.browser, e.browserVersion, e.os, e.osVersion, e.device, e.country, e.region, e.city, e.utmSource, e.utmMedium, e.utmCampaign, e.utmTerm, e.utmContent, e.properties ? JSON.stringify(e.properties) : null, null);
    }
  })();
}
const rawRate = N / ((performance.now() - t0) / 1000);

t0 = performance.now();
for (let i = 0; i < N; i += 2000) {
  for (let j = i; j < Math.min(N, i + 2000); j++) buffer.submit(events[j]!);
  await buffer.flush();
}
const rate = N / ((performance.now() - t0) / 1000);
const stored = await store.count();
check(stored === N, `stored ${stored} rows, sent ${N}`);
line('flush', { 'events/s': rate, 'raw_sqlite_rows/s': rawRate, ratio: rate / rawRate, batch: 2000, stored, sent: N });
db.close();
raw.close();
rmSync(dir, { recursive: true, force: true });
