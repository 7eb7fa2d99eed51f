import { eventStoreContract } from '../../../test/contract/event-store.contract.ts';
import { openDatabase } from './open-database.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';

eventStoreContract('sqlite (:memory:)', async () => new SqliteEventStore(openDatabase(':memory:')));

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThreadedSqliteEventStore } from './threaded-event-store.ts';

eventStoreContract('sqlite on a writer thread (file)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'footfall-threaded-')), 'footfall.db');
  return ThreadedSqliteEventStore.open(path, openDatabase(path), new URL('./event-writer-worker.ts', import.meta.url).href);
});
