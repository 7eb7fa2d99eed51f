/** @module SaltStore on bun:sqlite: the daily visitor-id salts, today's and yesterday's only. */
import type { Database } from 'bun:sqlite';
import type { SaltStore } from '../../ingest/visitor-id.ts';

export function sqliteSaltStore(db: Database): SaltStore {
  const load = db.prepare('SELECT salt FROM salts WHERE day = ?');
  const save = db.prepare('INSERT OR REPLACE INTO salts (day, salt) VALUES (?, ?)');
  const prune = db.prepare('DELETE FROM salts WHERE day < ?');
  return {
    load(day) {
      const row = load.get(day) as { salt: Uint8Array } | null;
      return row ? new Uint8Array(row.salt) : null;
    },
    save(day, salt) {
      save.run(day, salt);
    },
    deleteBefore(day) {
      prune.run(day);
    },
  };
}
