import { eventStoreContract } from '../../../test/contract/event-store.contract.ts';
import { openDatabase } from './open-database.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';

eventStoreContract('sqlite (:memory:)', async () => new SqliteEventStore(openDatabase(':memory:')));
