/** @module Umami-style paged list queries on bun:sqlite: (base query, search columns, page) → one page and the total count. */
import type { Database } from 'bun:sqlite';
import type { Page, PageQuery } from '../meta-store.ts';

type Arg = string | number | null;

/** `%`, `_` and the escape character itself are literal in a search term (Umami's wildcards are a Prisma accident). */
export function likeContains(term: string): string {
  return '%' + term.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

export interface PagedSpec {
  /** `SELECT … FROM …` with aliases giving the record's field names. */
  select: string;
  /** `FROM … WHERE …` part shared by the count and the page query (no trailing ORDER BY). */
  from: string;
  args: Arg[];
  /** Columns the search term is matched against (OR). */
  searchColumns: string[];
  /** Newest first, with a unique tie-breaker so pages never overlap. */
  orderBy: string;
}

/**
 * Statements come from `db.query`, which bun:sqlite caches per SQL text, so each distinct list
 * shape is compiled once.
 *
 * The search is a case-insensitive substring match (Umami: PostgreSQL ILIKE). SQLite's LIKE
 * folds ASCII letters only, so it serves terms in ASCII; a term with any other character is
 * matched here instead, on the lower-cased column values of every row the list holds (these
 * are metadata lists: a user's pixels or websites, not events).
 */
export function pagedQuery<T>(db: Database, spec: PagedSpec, q: PageQuery): Page<T> {
  const offset = (q.page - 1) * q.pageSize;
  // A NUL ends SQLite's LIKE pattern (`123\0x` matched as `%123`): such a term is matched here too.
  if (q.search && !/^[\x01-\x7f]*$/.test(q.search)) return foldedSearch<T>(db, spec, q.search, offset, q.pageSize);
  let from = spec.from;
  const args = [...spec.args];
  if (q.search) {
    from += ` AND (${spec.searchColumns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`;
    const pattern = likeContains(q.search);
    for (let i = 0; i < spec.searchColumns.length; i++) args.push(pattern);
  }
  const count = (db.query(`SELECT count(*) AS n ${from}`).get(...args) as { n: number }).n;
  // A page past the last row is empty; so is one whose offset does not fit a 64-bit integer
  // (`page=99999999999999999999`), which SQLite would refuse as a float.
  if (offset >= count) return { data: [], count };
  const data = db
    .query(`${spec.select} ${from} ORDER BY ${spec.orderBy} LIMIT ? OFFSET ?`)
    .all(...args, q.pageSize, offset) as T[];
  return { data, count };
}

/** The search for a term beyond ASCII: JavaScript's toLowerCase on both sides, as ILIKE folds. */
function foldedSearch<T>(db: Database, spec: PagedSpec, search: string, offset: number, pageSize: number): Page<T> {
  const term = search.toLowerCase();
  const cols = spec.searchColumns.map((c, i) => `${c} AS __search${i}`).join(', ');
  const rows = db.query(`${spec.select}, ${cols} ${spec.from} ORDER BY ${spec.orderBy}`).all(...spec.args) as Record<string, unknown>[];
  const hits = rows.filter((r) => spec.searchColumns.some((_, i) => typeof r[`__search${i}`] === 'string' && (r[`__search${i}`] as string).toLowerCase().includes(term)));
  const data = hits.slice(offset, offset + pageSize).map((r) => {
    for (let i = 0; i < spec.searchColumns.length; i++) delete r[`__search${i}`];
    return r as T;
  });
  return { data, count: hits.length };
}
