/** @module Test helper: the real app in-process on a fresh :memory: database, with a manual clock. */
import { createApp, type AppDeps } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { WriteBuffer, writeBufferFromConfig } from '../../src/buffer/write-buffer.ts';
import { materialisingSink } from '../../src/buffer/materialising-sink.ts';
import { DropCounter } from '../../src/ingest/drop-reasons.ts';
import { manualClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { openDatabase } from '../../src/store/sqlite/open-database.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.ts';
import { buildPrisme } from '../../src/ingest/build-prisme.ts';
import { openGeoReader, defaultGeoDatabase, type GeoReader } from '../../src/ingest/geo.ts';
import { readFileSync } from 'node:fs';
import { SqliteMetaStore } from '../../src/store/sqlite/sqlite-meta-store.ts';
import { passwordHasher, TEST_PASSWORD_COST } from '../../src/accounts/passwords.ts';
import { virtualTimers } from '../../src/lib/timers.ts';

let sharedGeo: GeoReader | undefined;
/** The embedded country database, opened once per test process (~8 MB). */
export function testGeo(): GeoReader {
  return (sharedGeo ??= openGeoReader(readFileSync(defaultGeoDatabase())));
}

export function testConfig(argv: string[] = []): Config {
  const r = loadConfig(argv, {});
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

export function testApp(argv: string[] = [], over: Partial<AppDeps> = {}) {
  const config = testConfig(argv);
  const db = openDatabase(':memory:');
  const events = new SqliteEventStore(db);
  const drops = new DropCounter();
  // As in the binary, deferred hits are built with their own caches (the writer thread's there).
  const buffer = writeBufferFromConfig(config, materialisingSink(events), (tally) => drops.addTally(tally));
  const clock = manualClock();
  const meta = new SqliteMetaStore(db);
  const { prisme, limiter, pixelLimiter } = buildPrisme(config, clock, testGeo(), meta.salts, undefined, over.steadyClock ?? clock);
  const deps: AppDeps = {
    config, log: silentLogger, clock, buffer, events, drops, version: 'test', prisme, limiter, pixelLimiter,
    meta, passwords: passwordHasher(TEST_PASSWORD_COST), ...over,
  };
  const app = createApp(deps);
  const request = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
  return { app, deps, db, events, meta, buffer, clock, request };
}

/**
 * A durable write buffer in front of a database that takes no writes (a full disk), on a clock
 * the test moves: `late()` moves it past the ack deadline and lets the waiting acks go. `accepted`
 * says how many events it has taken.
 */
export function stuckDurableBuffer() {
  const timers = virtualTimers();
  const buffer = new WriteBuffer({
    store: { insertPending: async () => Promise.reject(new Error('database or disk is full')), builderUaCache: () => ({ hits: 0, misses: 0, size: 0 }) },
    flushSize: 2000, flushIntervalMs: 250, maxEvents: 1000, durable: true, retryBaseMs: 60_000, retryMaxMs: 60_000, timers,
  });
  return {
    buffer,
    accepted: () => buffer.snapshot().accepted,
    late() {
      timers.advance(10_000);
      buffer.expireLateAcks();
    },
  };
}
