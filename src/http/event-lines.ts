/** @module A canonical event → its line in an export: NDJSON (ndjsonLine) or CSV, RFC 4180 (csvLine, csvField), and the download's file name. */
import { EVENT_FIELDS, type CanonicalEvent } from '../ingest/event.ts';
import { exactJsonText } from '../lib/exact-json.ts';
import type { ExportFormat } from './export-stream.ts';

/**
 * Every field in EVENT_FIELDS order, absent ones as null, whatever order the store produced.
 * Written out as one literal (a test checks it against EVENT_FIELDS): ~2× faster than filling an
 * object field by field, and an export is ~1M of these.
 */
export function ndjsonLine(e: CanonicalEvent): string {
  const properties = exactJsonText(e.properties);
  const payload = exactJsonText(e.payload);
  if (properties === undefined && payload === undefined) return JSON.stringify(lineFields(e, e.properties ?? null, e.payload ?? null)) + '\n';
  // JSON fields whose numbers keep their text (exact-json.ts): that text, as scanNdjson writes the
  // column. The two JSON fields come last: written as null, then cut off and written again.
  const line = JSON.stringify(lineFields(e, null, null));
  return `${line.slice(0, -JSON_FIELDS_AS_NULL.length)},"properties":${properties ?? JSON.stringify(e.properties ?? null)},"payload":${payload ?? JSON.stringify(e.payload ?? null)}}\n`;
}
const JSON_FIELDS_AS_NULL = ',"properties":null,"payload":null}';

function lineFields(e: CanonicalEvent, properties: unknown, payload: unknown): Record<keyof CanonicalEvent, unknown> {
  return {
    id: e.id, timestamp: e.timestamp, source: e.source, type: e.type, websiteId: e.websiteId ?? null, pixelId: e.pixelId ?? null,
    name: e.name ?? null, url: e.url ?? null, hostname: e.hostname ?? null, path: e.path ?? null, query: e.query ?? null,
    referrer: e.referrer ?? null, referrerDomain: e.referrerDomain ?? null, target: e.target ?? null, status: e.status ?? null,
    visitorId: e.visitorId ?? null, sessionId: e.sessionId ?? null, anonymousId: e.anonymousId ?? null, userId: e.userId ?? null,
    browser: e.browser ?? null, browserVersion: e.browserVersion ?? null, os: e.os ?? null, osVersion: e.osVersion ?? null,
    device: e.device ?? null, country: e.country ?? null, region: e.region ?? null, city: e.city ?? null,
    utmSource: e.utmSource ?? null, utmMedium: e.utmMedium ?? null, utmCampaign: e.utmCampaign ?? null, utmTerm: e.utmTerm ?? null,
    utmContent: e.utmContent ?? null, properties, payload,
  };
}

const NEEDS_QUOTES = /[",\r\n]/;
/**
 * What a spreadsheet may read as the start of a formula: OWASP's CSV injection list (= + - @, a
 * tab, a carriage return), a line feed too, and any of = + - @ after leading white space (some
 * spreadsheets trim a cell before they read it).
 */
const FORMULA_START = /^(?:[\t\r\n]|\s*[=+\-@])/;

/**
 * null → empty field; empty string → `""` (so the two stay distinguishable); objects
 * (properties, payload) → their JSON text; quoted only when RFC 4180 requires it. A text that
 * a spreadsheet would run as a formula (`=HYPERLINK(…)` sent as an event name by anyone) gets
 * a leading `'`, which spreadsheets show as plain text; the NDJSON export keeps it as sent.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? (exactJsonText(v) ?? JSON.stringify(v)) : String(v);
  if (s === '') return '""';
  if (typeof v === 'string' && FORMULA_START.test(s)) s = "'" + s;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const CSV_HEADER = EVENT_FIELDS.join(',') + '\r\n';

export function csvLine(e: CanonicalEvent): string {
  let line = '';
  for (let i = 0; i < EVENT_FIELDS.length; i++) line += (i ? ',' : '') + csvField(e[EVENT_FIELDS[i]!]);
  return line + '\r\n';
}

/** `footfall-website-<id>[-<from>_<to>].ndjson`, dates as YYYYMMDD (UTC). ASCII only, so no RFC 5987 form is needed. */
export function exportFilename(kind: string, id: string, format: ExportFormat, startAt?: number, endAt?: number): string {
  // YYYYMMDD; a year past 9999 (bounds go up to the year 275760) keeps all its digits.
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  };
  const range = startAt !== undefined || endAt !== undefined ? `-${startAt !== undefined ? day(startAt) : 'start'}_${endAt !== undefined ? day(endAt) : 'now'}` : '';
  return `footfall-${kind}-${id}${range}.${format}`;
}
