/** @module A RudderStack pixel hit as the request thread leaves it (raw query, clock, client) → its canonical event or why it is not stored. */
import type { DropReason } from './drop-reasons.ts';
import type { CanonicalEvent } from './event.ts';
import type { GeoLocation } from './geo.ts';
import { rudderCanonicalEvent } from './rudder-event.ts';
import { addServerFields, hasIdentity, pixelQueryToMessage, messageClient, type PixelType } from './rudder-message.ts';
import type { ClientHints, UserAgentParser } from './user-agent.ts';

/**
 * Everything a pixel hit's event is built from, as plain data (it crosses to the writer thread
 * as JSON). The answer is the same GIF whatever the query holds, so the request thread only
 * finds the write key's website and the client; mapping the query (~20 µs on a busy request
 * thread, the bulk of a hit) happens where the event is written.
 */
export interface RudderPixelHit {
  deferred: 'rudder-pixel';
  type: PixelType;
  /** the raw query string, without `?` */
  query: string;
  nowMs: number;
  websiteId: string;
  /** the client address as stored in `request_ip` (truncated unless --keep-ip) */
  requestIp: string;
  /** --keep-ip: also keep a `request_ip` given in the query whole (else it is truncated too) */
  keepIp: boolean;
  /** the request's User-Agent header ('' when none); the SDK's `context.userAgent` wins over it */
  userAgent: string;
  /** the request's client hints (Sec-CH-UA-*), read with its own User-Agent only */
  hints?: ClientHints;
  geo: GeoLocation;
}

/** The hit's canonical event, or the reason it is not stored (upstream forwards neither). */
export function rudderPixelEvent(hit: RudderPixelHit, ua: UserAgentParser): CanonicalEvent | DropReason {
  const mapped = pixelQueryToMessage(hit.query, hit.type, hit.nowMs);
  if ('drop' in mapped) return mapped.drop;
  const message = mapped.message;
  addServerFields(message, { nowMs: hit.nowMs, requestIp: hit.requestIp, keepIp: hit.keepIp });
  if (!hasIdentity(message)) return 'missing-identity';
  return rudderCanonicalEvent(hit.type, message, { websiteId: hit.websiteId, nowMs: hit.nowMs, client: messageClient(ua, message, hit.userAgent, hit.hints), geo: hit.geo });
}
