/** @module Fills a Footfall data dir's footfall.db with N realistic stored events straight through the store (no HTTP): scenario 3's "10M events already stored". */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { blankEvent, type CanonicalEvent } from '../../src/ingest/event.ts';
import { uuidv7 } from '../../src/lib/uuid.ts';
import { openDatabase } from '../../src/store/sqlite/open-database.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.ts';
import { rng, userAgentCorpus } from '../../src/loadtest/ua-corpus.ts';

const SITES = Array.from({ length: 20 }, (_, i) => `0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c${String(i).padStart(4, '0')}`);
const BROWSERS = [['Chrome', 'Windows', 'desktop'], ['Safari', 'iOS', 'mobile'], ['Firefox', 'Linux', 'desktop'], ['Chrome', 'Android', 'mobile'], ['Edge', 'Windows', 'desktop']] as const;
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', null];

/** Events spread over the 30 days before `endMs` across 20 websites, ordered by time (as ingestion writes them). */
export function fillEvents(dataDir: string, n: number, onProgress?: (done: number) => void): { rows: number; seconds: number } {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, 'footfall.db'));
  const store = new SqliteEventStore(db);
  const r = rng(42);
  void userAgentCorpus;
  const endMs = Date.now() - 3_600_000;
  const startMs = endMs - 30 * 86_400_000;
  const step = (endMs - startMs) / n;
  const BATCH = 20_000;
  const t0 = performance.now();
  const batch: CanonicalEvent[] = [];
  for (let i = 0; i < n; i++) {
    const ts = Math.floor(startMs + i * step);
    const kind = r();
    const e = blankEvent(uuidv7(ts), new Date(ts).toISOString(), kind < 0.8 ? 'prisme' : 'rudder', kind < 0.7 ? 'pageview' : 'custom');
    const b = BROWSERS[Math.floor(r() * BROWSERS.length)]!;
    const page = Math.floor(r() * 500);
    e.websiteId = SITES[Math.floor(r() * SITES.length)]!;
    e.hostname = 'www.example.com';
    e.path = `/page/${page}`;
    e.url = `https://www.example.com/page/${page}`;
    e.referrerDomain = r() < 0.5 ? 'direct' : 'www.google.com';
    e.status = 200;
    e.visitorId = `prisme_${Math.floor(r() * 1e9).toString(16)}`;
    e.sessionId = uuidv7(ts - 1000);
    e.browser = b[0];
    e.os = b[1];
    e.device = b[2];
    e.country = COUNTRIES[Math.floor(r() * COUNTRIES.length)]!;
    if (e.type === 'custom') {
      e.name = 'signup';
      e.properties = { plan: 'pro', n: i };
    }
    batch.push(e);
    if (batch.length === BATCH) {
      store.insertBatchSync(batch);
      batch.length = 0;
      onProgress?.(i + 1);
    }
  }
  store.insertBatchSync(batch);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  return { rows: n, seconds: (performance.now() - t0) / 1000 };
}

/** Rows in an existing footfall.db, or 0. */
export function storedRows(dataDir: string): number {
  const path = join(dataDir, 'footfall.db');
  if (!existsSync(path)) return 0;
  const db = openDatabase(path);
  try {
    return (db.query('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
