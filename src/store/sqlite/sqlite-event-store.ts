/** @module EventStore on bun:sqlite: canonical events ↔ rows of the `events` table, batched inserts, keyset-paged scans. */
import type { Database, Statement } from 'bun:sqlite';
import type { CanonicalEvent } from '../../ingest/event.ts';
import type { EventFilter, EventStore } from '../event-store.ts';
import { exactJsonText, holdsRawNumbers, parseStoredJson } from '../../lib/exact-json.ts';

/** Canonical field → column, in table order after id/ts. */
const COLUMNS: [keyof CanonicalEvent, string][] = [
  ['source', 'source'], ['type', 'type'], ['websiteId', 'website_id'], ['pixelId', 'pixel_id'],
  ['name', 'name'], ['url', 'url'], ['hostname', 'hostname'], ['path', 'path'], ['query', 'query'],
  ['referrer', 'referrer'], ['referrerDomain', 'referrer_domain'], ['target', 'target'],
  ['status', 'status'], ['visitorId', 'visitor_id'], ['sessionId', 'session_id'],
  ['anonymousId', 'anonymous_id'], ['userId', 'user_id'], ['browser', 'browser'],
  ['browserVersion', 'browser_version'], ['os', 'os'], ['osVersion', 'os_version'],
  ['device', 'device'], ['country', 'country'], ['region', 'region'], ['city', 'city'],
  ['utmSource', 'utm_source'], ['utmMedium', 'utm_medium'], ['utmCampaign', 'utm_campaign'],
  ['utmTerm', 'utm_term'], ['utmContent', 'utm_content'],
];
const ALL_COLUMNS = ['id', 'ts', ...COLUMNS.map((c) => c[1]), 'properties', 'payload'];
/** The canonical field behind each value of an EventRow (eventRow), i.e. ALL_COLUMNS' order. */
export const ROW_FIELDS: (keyof CanonicalEvent)[] = ['id', 'timestamp', ...COLUMNS.map((c) => c[0]), 'properties', 'payload'];

/** Rows per statement: multi-row VALUES cut per-row VM overhead (~1.6× over single-row inserts). */
const ROWS_PER_INSERT = 16;
/**
 * Rows fetched per page of an export scan: memory stays O(page), not O(events), and one page
 * (~1 ms of SQLite work) is the longest the export keeps other requests waiting.
 */
const SCAN_PAGE = 256;
/**
 * …and bytes of properties and payload per page, beyond its first row: a row may hold ~10 MB
 * (a 5 MB RudderStack message, its properties again), and 256 of them would be 2.5 GB.
 */
const SCAN_PAGE_BYTES = 8 * 1024 * 1024;

type Value = string | number | null;

export class SqliteEventStore implements EventStore {
  private readonly insertOne: Statement;
  private readonly insertMany: Statement;

  constructor(private readonly db: Database) {
    const one = `(${ALL_COLUMNS.map(() => '?').join(',')})`;
    const head = `INSERT INTO events (${ALL_COLUMNS.join(',')}) VALUES `;
    this.insertOne = db.prepare(head + one);
    this.insertMany = db.prepare(head + Array(ROWS_PER_INSERT).fill(one).join(','));
  }

  async insertBatch(events: readonly CanonicalEvent[]): Promise<void> {
    this.insertBatchSync(events);
  }

  /** One transaction for the whole batch: all rows commit or none do. */
  insertBatchSync(events: readonly CanonicalEvent[]): void {
    if (events.length) this.insertRowsSync(events.map(eventRow));
  }

  /**
   * insertBatchSync() for events already turned into rows by eventRow() (the writer thread's
   * input), in one transaction. Rows are taken as they come: the writer thread builds pixel
   * hits' rows while they are inserted, so a batch's rows are never all alive at once.
   * With `onUnwritable`, a row whose values cannot be written (a JSON column JSON.stringify
   * refuses) is left out and reported there instead of failing the whole batch, which the
   * write buffer would otherwise retry for ever, holding back every event behind it.
   */
  insertRowsSync(rows: Iterable<EventRow>, onUnwritable?: (error: unknown) => void): void {
    const params: (string | number | null)[] = [];
    let grouped = 0;
    this.db.transaction(() => {
      for (const row of rows) {
        const mark = params.length;
        try {
          pushRow(params, row);
        } catch (e) {
          if (!onUnwritable) throw e;
          params.length = mark;
          onUnwritable(e);
          continue;
        }
        if (++grouped < ROWS_PER_INSERT) continue;
        // The array itself, not spread: bun:sqlite binds an array argument positionally, and
        // spreading 16 rows × 36 values into the call cost ~0.9 µs a row (7.3–7.6 against
        // 6.1–6.9 µs a row of 36 columns, 24 of them text, in a 32k-row microbenchmark).
        this.insertMany.run(params);
        params.length = 0;
        grouped = 0;
      }
      for (let i = 0; i < grouped; i++) this.insertOne.run(params.slice(i * ROW_FIELDS.length, (i + 1) * ROW_FIELDS.length));
    }).immediate();
  }

  scan(filter: EventFilter): AsyncIterable<CanonicalEvent> {
    return this.pages(filter, `${ALL_COLUMNS.join(',')}, rowid`, rowToEvent);
  }

  /**
   * The text of each line comes mostly from SQLite (json_object for the plain columns, the two
   * JSON columns as stored) instead of row → event → JSON.stringify in JavaScript: a few strings
   * per event instead of ~40 values, two objects and a re-parse of its payload.
   */
  scanNdjson(filter: EventFilter): AsyncIterable<string> {
    return this.pages(filter, `json_quote(id), ts, ${NDJSON_MIDDLE}, properties, payload, rowid`, ndjsonFromRow);
  }

  /**
   * Keyset pages of at most SCAN_PAGE rows and SCAN_PAGE_BYTES of JSON columns, oldest first:
   * memory stays O(page) whatever the count and the size of the rows. The sizes come first, from
   * the rows' headers (octet_length reads no text).
   */
  private async *pages<T>(filter: EventFilter, select: string, map: (r: Value[]) => T): AsyncIterable<T> {
    const { where, args } = whereClause(filter);
    const after = `${where} ${where ? 'AND' : 'WHERE'} (ts, rowid) > (?, ?) ORDER BY ts, rowid`;
    const sizes = this.db.prepare(`SELECT coalesce(octet_length(properties), 0) + coalesce(octet_length(payload), 0) FROM events ${after} LIMIT ${SCAN_PAGE}`);
    const page = this.db.prepare(`SELECT ${select} FROM events ${after} LIMIT ?`);
    let lastTs = Number.MIN_SAFE_INTEGER;
    let lastRid = -1;
    try {
      for (;;) {
        const next = sizes.values(...args, lastTs, lastRid) as number[][];
        let n = 0;
        for (let bytes = 0; n < next.length && (n === 0 || bytes + next[n]![0]! <= SCAN_PAGE_BYTES); n++) bytes += next[n]![0]!;
        // Rows as arrays (column order), not objects keyed by column name: half the allocation.
        const rows = n ? (page.values(...args, lastTs, lastRid, n) as Value[][]) : [];
        for (const r of rows) yield map(r);
        // Done only when a page comes back empty: the two statements read at two moments, and a
        // row the writer commits in between may take a place in the page, pushing the last out.
        if (rows.length === 0) return;
        // Both selections have ts second and the rowid last.
        const last = rows[rows.length - 1]!;
        lastTs = last[TS] as number;
        lastRid = last[last.length - 1] as number;
      }
    } finally {
      sizes.finalize();
      page.finalize();
    }
  }

  async count(filter: EventFilter = {}): Promise<number> {
    const { where, args } = whereClause(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM events ${where}`).get(...args) as { n: number }).n;
  }

  async close(): Promise<void> {
    this.insertOne.finalize();
    this.insertMany.finalize();
  }
}

/**
 * An event as the values of its table row, in column order, except that the time is still the
 * ISO text and properties and payload are still JSON values: the writer thread turns them into
 * the stored number and texts. Sending rows instead of objects halves the JSON handed to the
 * writer thread (no key names) and the main thread's cost of writing it (~2.0 → ~1.0 µs per
 * event); leaving the two JSON columns as values spares the main thread a second text per event
 * (and the escaping of JSON inside JSON on both sides): a RudderStack payload is ~1 KB.
 */
export type EventRow = (string | number | null | Record<string, unknown>)[];

export function eventRow(e: CanonicalEvent): EventRow {
  // Written out field by field (COLUMNS order, checked by a test): a literal array is ~1.5× faster than mapping over COLUMNS.
  return [
    e.id, e.timestamp, e.source, e.type, e.websiteId, e.pixelId, e.name, e.url, e.hostname, e.path, e.query,
    e.referrer, e.referrerDomain, e.target, e.status, e.visitorId, e.sessionId, e.anonymousId, e.userId,
    e.browser, e.browserVersion, e.os, e.osVersion, e.device, e.country, e.region, e.city,
    e.utmSource, e.utmMedium, e.utmCampaign, e.utmTerm, e.utmContent,
    jsonColumn(e.properties), jsonColumn(e.payload),
  ];
}

/**
 * A JSON column's value as the row carries it: the value itself, or the text kept for it when its
 * numbers need their own (exact-json.ts): a row crosses to the writer thread as JSON, and
 * JSON.stringify there would write `1e400` as `null`.
 */
function jsonColumn(v: Record<string, unknown> | null): Record<string, unknown> | string | null {
  if (v === null) return null;
  // A value holding RawNumbers (a RudderStack message) is written here, where they are still raw.
  return exactJsonText(v) ?? (holdsRawNumbers(v) ? JSON.stringify(v) : v);
}

/** The last two values of a row are the JSON columns. */
const JSON_FROM = ROW_FIELDS.length - 2;

function pushRow(out: (string | number | null)[], row: EventRow): void {
  out.push(row[0] as string, Date.parse(row[1] as string));
  for (let i = 2; i < JSON_FROM; i++) out.push(row[i] as string | number | null);
  for (let i = JSON_FROM; i < row.length; i++) {
    const v = row[i]!;
    // A JSON column is an object or null; a string is its text already (jsonColumn).
    out.push(v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
  }
}

/** Index of ts in both of scan()'s selections. */
const TS = 1;

/**
 * SQL for the NDJSON text of the fields between the timestamp and properties, in EVENT_FIELDS
 * order: `{"source":"prisme",…,"utmContent":null}`. json_object escapes exactly as
 * JSON.stringify does (`\"`, `\\`, `\b\f\n\r\t`, other controls as `\u00xx`) and writes
 * null for NULL and a bare number for the integer status. (Joining 34 pieces with `||` instead
 * copies the growing line at every step: no faster than JavaScript.)
 */
const NDJSON_MIDDLE = `json_object(${COLUMNS.map(([field, col]) => `'${field}', ${col}`).join(', ')})`;

/**
 * [json_quote(id), ts, NDJSON_MIDDLE, properties, payload, rowid] → the line. The two JSON
 * columns hold JSON.stringify's text and go in as they are; the timestamp is written by the same
 * Date.toISOString as scan(). The pieces are joined as a rope, flattened once per export chunk.
 */
function ndjsonFromRow(r: Value[]): string {
  const middle = r[2] as string;
  return `{"id":${r[0]},"timestamp":"${new Date(r[1] as number).toISOString()}",${middle.slice(1, -1)},"properties":${r[3] ?? 'null'},"payload":${r[4] ?? 'null'}}\n`;
}

/**
 * A scanned row (ALL_COLUMNS order) → the event, written out as one literal in EVENT_FIELDS
 * order (a test checks both orders agree): every event gets the same shape, and an exporter
 * that stringifies it sees the fields in the documented order.
 */
function rowToEvent(r: Value[]): CanonicalEvent {
  return {
    id: r[0] as string, timestamp: new Date(r[1] as number).toISOString(),
    source: r[2], type: r[3], websiteId: r[4], pixelId: r[5], name: r[6], url: r[7], hostname: r[8], path: r[9], query: r[10],
    referrer: r[11], referrerDomain: r[12], target: r[13], status: r[14], visitorId: r[15], sessionId: r[16], anonymousId: r[17], userId: r[18],
    browser: r[19], browserVersion: r[20], os: r[21], osVersion: r[22], device: r[23], country: r[24], region: r[25], city: r[26],
    utmSource: r[27], utmMedium: r[28], utmCampaign: r[29], utmTerm: r[30], utmContent: r[31],
    // The JSON columns keep their stored text (exact-json.ts), which holds the numbers a double
    // cannot give back (Prisme properties, RudderStack messages): the CSV export writes that text.
    properties: r[32] === null ? null : parseStoredJson(r[32] as string),
    payload: r[33] === null ? null : parseStoredJson(r[33] as string),
  } as CanonicalEvent;
}

function whereClause(f: EventFilter): { where: string; args: (string | number)[] } {
  const parts: string[] = [];
  const args: (string | number)[] = [];
  if (f.websiteId !== undefined) parts.push('website_id = ?'), args.push(f.websiteId);
  if (f.pixelId !== undefined) parts.push('pixel_id = ?'), args.push(f.pixelId);
  // Word for word the index's condition (migrations.ts), so that SQLite reads through it.
  if (f.unassigned) parts.push('website_id IS NULL AND pixel_id IS NULL');
  if (f.startAt !== undefined) parts.push('ts >= ?'), args.push(f.startAt);
  if (f.endAt !== undefined) parts.push('ts <= ?'), args.push(f.endAt);
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}
