/**
 * @module pendingBytes(item) → about how much memory an item of the write buffer holds: its texts
 * plus a fixed cost per item and per JSON value. The buffer caps the sum (`--buffer-max-mb`), so
 * that 100k events of half-megabyte URLs or megabyte bodies cannot hold gigabytes while the disk
 * is slow. An estimate for a cap, read only from fields that can be long; never exact accounting.
 */
import type { CanonicalEvent } from '../ingest/event.ts';
import { isDeferred, type PendingEvent } from '../ingest/pending-event.ts';
import { jsonBytes, VALUE_BYTES } from '../lib/json-bytes.ts';
import { exactJsonText } from '../lib/exact-json.ts';
import type { ClientHints } from '../ingest/user-agent.ts';

/**
 * The fixed part of an item: the object, its ids, times and short texts (browser, country…).
 * A test pageview with a 46-character URL takes ~610 B of heap (100k of them held, after a full
 * collection) and ~410 B as a row of the writer's JSON; with its texts counted it comes to ~660.
 */
export const ITEM_BYTES = 512;

export function pendingBytes(p: PendingEvent): number {
  if (!isDeferred(p)) return canonicalBytes(p);
  const n = p.deferred === 'rudder-pixel'
    ? ITEM_BYTES + p.query.length + p.userAgent.length + p.requestIp.length
    : ITEM_BYTES + p.url.length + (p.referer?.length ?? 0) + p.userAgent.length;
  return n + hintBytes(p.hints);
}

/** Client hints a deferred hit carries (each up to the parser's 500 characters). */
function hintBytes(hints: ClientHints | undefined): number {
  let n = 0;
  if (hints) for (const k in hints) n += VALUE_BYTES + ((hints as Record<string, string | undefined>)[k]?.length ?? 0);
  return n;
}

function canonicalBytes(e: CanonicalEvent): number {
  return ITEM_BYTES + len(e.name) + len(e.url) + len(e.hostname) + len(e.path) + len(e.query) + len(e.referrer) + len(e.referrerDomain)
    + len(e.target) + len(e.visitorId) + len(e.anonymousId) + len(e.userId)
    + len(e.utmSource) + len(e.utmMedium) + len(e.utmCampaign) + len(e.utmTerm) + len(e.utmContent)
    + (e.properties === null || inPayload(e) ? 0 : jsonBytes(e.properties) + (exactJsonText(e.properties)?.length ?? 0))
    + (e.payload === null ? 0 : jsonBytes(e.payload));
}

/** A RudderStack event's properties are its message's `properties` or `traits`: held once, counted once. */
const inPayload = (e: CanonicalEvent): boolean =>
  e.payload !== null && (e.properties === e.payload.properties || e.properties === e.payload.traits);

const len = (s: string | null): number => (s === null ? 0 : s.length);
