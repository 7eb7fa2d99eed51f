/** @module Canonical events → a streamed NDJSON or CSV (RFC 4180) download, pulled on demand so memory stays constant. */
import { t } from 'elysia';
import type { Server } from 'bun';
import { EVENT_FIELDS, type CanonicalEvent } from '../ingest/event.ts';
import type { EventFilter, EventStore } from '../store/event-store.ts';
import { ApiError, ErrorBody } from './errors.ts';
import type { ExportSlots } from './export-slots.ts';
import type { Principal } from '../accounts/principal.ts';
import { currentPrincipal } from '../accounts/authenticate.ts';
import type { MetaStore } from '../store/meta-store.ts';
import { nextTurn } from '../lib/next-turn.ts';
import { CSV_HEADER, csvLine, exportFilename, ndjsonLine } from './event-lines.ts';
import { queryText } from './request-values.ts';

export type ExportFormat = 'ndjson' | 'csv';

/** The last instant a JavaScript Date holds (±8.64e15 ms): later bounds could not name a day. */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** Query of every export route (decisions.md: ms since epoch, inclusive, Umami's convention). */
export const ExportQuery = t.Object({
  startAt: t.Optional(t.Integer({ minimum: 0, maximum: MAX_DATE_MS, title: 'startAt', description: 'Inclusive lower bound, ms since epoch (e.g. 1767225600000, 2026-01-01); none: from the first event' })),
  endAt: t.Optional(t.Integer({ minimum: 0, maximum: MAX_DATE_MS, title: 'endAt', description: 'Inclusive upper bound, ms since epoch (e.g. 1769903999999, the last millisecond of January 2026: exports of consecutive periods end 1 ms before the next starts, or an event at the very instant would be in both); none: to the last event' })),
  format: t.Optional(t.Union([t.Literal('ndjson'), t.Literal('csv')], { default: 'ndjson', description: 'ndjson (default): one canonical event per line; csv: RFC 4180 with a header row' })),
});

/**
 * What every export route checks beyond ExportQuery, which reads a bound as Number() does: a
 * bound must be plain decimal digits (`0x10`, `+1`, `1e3` and ` 1` were read as numbers), no
 * parameter of the query may be given twice or as an array (`startAt[]=…` was ignored: a full
 * export for a narrow one asked), and endAt may not come before startAt. 400 otherwise.
 */
export function checkExportQuery(request: Request, query: { startAt?: number; endAt?: number }): void {
  const params = new URLSearchParams(queryText(request.url));
  for (const name of params.keys()) {
    const base = name.replace(/\[.*$/, '');
    if (base !== name && EXPORT_PARAMS.includes(base)) throw new ApiError('bad-request', `${base} takes one value, not ${name}`);
  }
  for (const name of EXPORT_PARAMS) {
    const values = params.getAll(name);
    if (values.length > 1) throw new ApiError('bad-request', `${name} is given ${values.length} times`);
    if (name !== 'format' && values.length === 1 && !/^\d+$/.test(values[0]!)) throw new ApiError('bad-request', `${name} must be milliseconds since the epoch in decimal digits, got "${values[0]}"`);
  }
  if (query.startAt !== undefined && query.endAt !== undefined && query.endAt < query.startAt) throw new ApiError('bad-request', 'endAt must not be before startAt');
}

const EXPORT_PARAMS = ['startAt', 'endAt', 'format'];

/** OpenAPI responses of an export route: the two streamed bodies and the Umami-shaped errors. */
export function exportResponsesDoc(of: 'one' | 'admins' = 'one'): Record<string, unknown> {
  const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
  return {
    200: {
      description: 'Stored events, oldest first, streamed',
      headers: { 'Content-Disposition': { schema: { type: 'string' }, description: 'attachment; filename="…"' } },
      content: {
        'application/x-ndjson': { schema: { type: 'string' }, example: '{"id":"0195…","timestamp":"2026-01-02T03:04:05.600Z","source":"prisme","type":"pageview",…}\n' },
        'text/csv': { schema: { type: 'string' }, example: `${EVENT_FIELDS.join(',')}\r\n…` },
      },
    },
    400: err('Invalid query (bad-request)'),
    503: err('Too many exports streaming at once, in all or for this user (service-unavailable); Retry-After says when to try again'),
    ...(of === 'one'
      ? { 401: err('Not signed in, or not allowed to view this website or pixel (unauthorized)'), 404: err('Unknown id (not-found)') }
      : { 401: err('Not signed in, or not an admin (unauthorized)') }),
  };
}

/**
 * The ExportSlots slot of an export about to stream, as the function that gives it back, or 503.
 * A HEAD streams nothing (its body is never read, so its slot would never come back): it takes
 * none, and its lines are never read either.
 */
function exportSlot(ctx: { exports: ExportSlots }, request: Request, principal: Principal): () => void {
  return request.method === 'HEAD' ? () => {} : ctx.exports.take(principal.user.id);
}

/**
 * For exportResponse's `allowed`: whether the caller that started an export may still read it,
 * asked again before each chunk (~64 KB): its login token still live (not logged out, not ended
 * by a password change or reset) or its API key not revoked, its user not deleted, and `may`
 * (what the route checked at the start: may view this website, is an admin…) still passing for
 * the caller as it stands now. A stolen token revoked mid-export stops there, not minutes later.
 */
function whileAllowed(ctx: { meta: MetaStore; clock: () => number }, principal: Principal, may: (now: Principal) => unknown): () => boolean {
  return () => {
    const now = currentPrincipal(ctx.meta, principal, ctx.clock());
    if (!now) return false;
    try {
      may(now);
      return true;
    } catch (e) {
      if (e instanceof ApiError) return false;
      throw e;
    }
  };
}

/**
 * An export route's answer once it has found the caller allowed (`may`, which throws an ApiError
 * when not): takes an export slot, streams the `scope`'s events in the query's range and format,
 * and asks `may` again before each chunk (whileAllowed).
 */
export function exportAnswer(
  ctx: { events: EventStore; exports: ExportSlots; meta: MetaStore; clock: () => number },
  request: Request,
  server: Server<unknown> | null,
  principal: Principal,
  query: { format?: ExportFormat; startAt?: number; endAt?: number },
  scope: { filter: Pick<EventFilter, 'websiteId' | 'pixelId' | 'unassigned'>; kind: string; id: string },
  may: (now: Principal) => unknown,
): Response {
  const format = query.format ?? 'ndjson';
  const done = exportSlot(ctx, request, principal);
  // Bun ends a connection idle for 30 s (Elysia's idleTimeout), a streamed answer its client has
  // stopped reading included: a client pausing once (curl --limit-rate reads in bursts) lost its
  // export. The export's own rate check (EXPORT_RATE) decides instead.
  server?.timeout(request, 0);
  const lines = exportLines(ctx.events, { ...scope.filter, startAt: query.startAt, endAt: query.endAt }, format);
  const filename = exportFilename(scope.kind, scope.id, format, query.startAt, query.endAt);
  return exportResponse(lines, format, filename, done, EXPORT_RATE, whileAllowed(ctx, principal, may));
}

/** How slowly an export's client may read (exportResponse): on average at least minBytes per windowMs, checked every checkMs. */
export interface ExportRate {
  windowMs: number;
  minBytes: number;
  checkMs: number;
  now: () => number;
}

/** 1 MiB a minute (~17 KB/s), on average since the export began, checked every 5 s. */
export const EXPORT_RATE: ExportRate = { windowMs: 60_000, minBytes: 1024 * 1024, checkMs: 5_000, now: () => performance.now() };

/** Lines are gathered into chunks of about this many characters before being handed to the socket. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The export's lines: NDJSON straight from the store when it can write them itself
 * (EventStore.scanNdjson, ~2× faster), otherwise each scanned event through ndjsonLine/csvLine.
 */
export function exportLines(store: EventStore, filter: EventFilter, format: ExportFormat): AsyncIterable<string> {
  if (format === 'ndjson' && store.scanNdjson) return store.scanNdjson(filter);
  return formatted(store.scan(filter), format === 'csv' ? csvLine : ndjsonLine);
}

async function* formatted(events: AsyncIterable<CanonicalEvent>, line: (e: CanonicalEvent) => string): AsyncIterable<string> {
  for await (const e of events) yield line(e);
}


/**
 * Pull-based: the next rows are read from the store only when the consumer (Bun's socket
 * writer) asks, so a slow client holds one chunk and one store page in memory, not the export.
 * Each chunk after the first waits for a turn of the event loop: a fast client otherwise pulls
 * chunk after chunk in one run of promise callbacks, and the whole server answered nothing else
 * until the export ended (4.4 s for 413k events). Cancelling (client gone) returns the
 * iterator, which releases the store's statement. `done` is called once the export has ended,
 * however (its last chunk, a failure, the client gone): it gives back its ExportSlots slot.
 */
export function exportResponse(
  lines: AsyncIterable<string>,
  format: ExportFormat,
  filename: string,
  done: () => void = () => {},
  rate: ExportRate = EXPORT_RATE,
  /** Asked before each chunk: false ends the export there (whileAllowed). */
  allowed: () => boolean = () => true,
): Response {
  const it = lines[Symbol.asyncIterator]();
  const enc = new TextEncoder();
  let pending = format === 'csv' ? CSV_HEADER : '';
  let first = true;
  const started = rate.now();
  let sent = 0;
  let ended = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Once, however the export ends: the watch stops and the slot goes back. */
  const finish = () => {
    if (ended) return;
    ended = true;
    clearInterval(watch);
    done();
  };
  /**
   * A client that reads too slowly would hold its slot (ExportSlots) for as long as it likes:
   * once a window has passed, an export whose client has taken less than rate.minBytes per
   * rate.windowMs on average since it began is given up. On average, so that a fast client that
   * stalls once is not cut; by a timer too, as pulls stop while the socket's buffers are full.
   */
  const tooSlow = (): boolean => {
    const elapsed = rate.now() - started;
    return elapsed >= rate.windowMs && sent * rate.windowMs < rate.minBytes * elapsed;
  };
  const cut = (why: string) => {
    finish();
    void it.return?.();
    try {
      controller.error(new Error(why));
    } catch {
      // Already closed or errored.
    }
  };
  const watch = setInterval(() => tooSlow() && cut('export read too slowly'), rate.checkMs);
  watch.unref?.();
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull() {
        if (first) first = false;
        else await nextTurn();
        if (ended) return;
        if (tooSlow()) return cut('export read too slowly');
        // A check that fails (the database busy, or closed at shutdown) cuts the export too: its
        // slot and the store's statement go back either way.
        let mayRead = false;
        try {
          mayRead = allowed();
        } catch {
          // mayRead stays false.
        }
        if (!mayRead) return cut('the caller may no longer read this export');
        let buf = pending;
        pending = '';
        try {
          while (buf.length < CHUNK_CHARS) {
            const r = await it.next();
            if (r.done) {
              if (buf) controller.enqueue(enc.encode(buf));
              controller.close();
              finish();
              return;
            }
            buf += r.value;
          }
        } catch (e) {
          finish();
          throw e;
        }
        const bytes = enc.encode(buf);
        sent += bytes.length;
        controller.enqueue(bytes);
      },
      async cancel() {
        finish();
        await it.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  });
}
