/** @module Write key → website id, straight from the websites table (one indexed lookup per RudderStack hit). */
import type { Database } from 'bun:sqlite';

export function writeKeyLookup(db: Database): (key: string) => string | null {
  const q = db.prepare('SELECT id FROM websites WHERE write_key = ? AND deleted_at IS NULL');
  return (key) => (q.get(key) as { id: string } | null)?.id ?? null;
}
