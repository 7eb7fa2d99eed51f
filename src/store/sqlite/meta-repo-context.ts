/** @module What the SQLite metadata repositories share: the connection, cached statements, transactions and the change signals; and setClause(), a patch → SET clause. */
import type { Database, Statement } from 'bun:sqlite';

export interface MetaRepoContext {
  db: Database;
  /** A statement cached by the connection (`db.query`). */
  q(sql: string): Statement;
  /** `fn` in one IMMEDIATE transaction. */
  transaction<T>(fn: () => T): T;
  /** Websites or their write keys changed: the write-key cache and the origin registry start over. */
  websitesChanged(): void;
  /** Pixels or their slugs changed: the slug cache starts over. */
  pixelsChanged(): void;
}

/** Patch object (camelCase fields) → `SET a = ?, b = ?` and its arguments, from a field→column map. */
export function setClause(patch: Record<string, unknown>, columns: Record<string, string>): { sql: string; args: (string | number | null)[] } {
  const parts: string[] = [];
  const args: (string | number | null)[] = [];
  for (const [field, col] of Object.entries(columns)) {
    if (patch[field] === undefined) continue;
    parts.push(`${col} = ?`);
    args.push(patch[field] as string | number | null);
  }
  return { sql: parts.join(', '), args };
}

