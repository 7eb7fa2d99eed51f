/** @module A RudderStack message (pixel or HTTP API, server fields added) + request enrichment → a canonical event. */
import { blankEvent, putClient, putGeo, type CanonicalEvent, type EventType } from './event.ts';
import type { GeoLocation } from './geo.ts';
import { liftRudderFields, urlParts } from './rudder-lift.ts';
import { gatewayVisitor } from './rudder-message.ts';
import type { JsonObject } from './sjson-path.ts';
import type { ParsedUserAgent } from './user-agent.ts';
import { uuidv7 } from '../lib/uuid.ts';
import { isRawNumber } from '../lib/exact-json.ts';
import { isoTime } from '../lib/clock.ts';

export const RUDDER_TYPES = ['page', 'track', 'identify', 'screen', 'group', 'alias'] as const;
export type RudderType = (typeof RUDDER_TYPES)[number];

export function isRudderType(t: unknown): t is RudderType {
  return typeof t === 'string' && (RUDDER_TYPES as readonly string[]).includes(t);
}

const obj = (v: unknown): JsonObject | null => (typeof v === 'object' && v !== null && !Array.isArray(v) && !isRawNumber(v) ? (v as JsonObject) : null);
/** A string, or a number as it was sent (a RawNumber's text is the one a double could not give back). */
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : isRawNumber(v) ? v.rawJSON : null);

export interface RudderEnrichment {
  websiteId: string;
  nowMs: number;
  client: ParsedUserAgent;
  geo: GeoLocation;
}

/**
 * A page's or screen's name: `name`, as the browser and server SDKs send it; the Android and iOS
 * SDKs put a screen's in `event` and `properties.name` instead (their message has no `name`).
 */
function pageName(type: 'page' | 'screen', message: JsonObject, event: string | null, properties: JsonObject | null): string | null {
  return str(message.name) ?? (type === 'screen' ? event : null) ?? str(properties?.name);
}

/**
 * The whole message goes to `payload`; url/path/referrer/name/properties and the context's ids
 * are lifted into columns. UTM comes from `context.campaign` (what the SDKs send), else from the
 * page URL's query.
 */
export function rudderCanonicalEvent(type: RudderType, message: JsonObject, x: RudderEnrichment): CanonicalEvent {
  const f = liftRudderFields(message);
  const e = blankEvent(uuidv7(x.nowMs), isoTime(x.nowMs), 'rudder', type as EventType);
  const context = obj(message.context);
  const campaign = obj(context?.campaign);
  e.websiteId = x.websiteId;
  e.name = type === 'track' ? f.event : type === 'page' || type === 'screen' ? pageName(type, message, f.event, f.properties) : null;
  e.url = withoutUserInfo(f.url);
  e.hostname = f.hostname;
  e.path = f.path ?? f.urlPath;
  e.query = f.query;
  // The JavaScript SDK says `$direct` for a visit with no referrer: none, as an empty one.
  const referrer = f.referrer && f.referrer !== DIRECT ? withoutUserInfo(f.referrer) : null;
  e.referrer = referrer;
  e.referrerDomain = referrer ? (urlParts(referrer)?.host ?? null) : 'direct';
  e.anonymousId = f.anonymousId;
  e.userId = f.userId;
  // As the gateway files it: a blank anonymousId (`anonymousId=` on a pixel) is no visitor of its own.
  e.visitorId = gatewayVisitor(message, f.anonymousId, f.userId);
  e.sessionId = str(context?.sessionId);
  putClient(e, x.client);
  putGeo(e, x.geo);
  const utm = f.urlUtm;
  e.utmSource = str(campaign?.source) ?? utm.utmSource;
  e.utmMedium = str(campaign?.medium) ?? utm.utmMedium;
  e.utmCampaign = str(campaign?.name) ?? utm.utmCampaign;
  e.utmTerm = str(campaign?.term) ?? utm.utmTerm;
  e.utmContent = str(campaign?.content) ?? utm.utmContent;
  e.properties = f.properties ?? obj(message.traits);
  e.payload = message;
  return e;
}

const DIRECT = '$direct';

/**
 * A URL for a column without its user-info (`https://user:pw@host/` → `https://host/`), as Prisme
 * and pixel URLs are stored: sign-in details a page or referrer URL carried are not kept beside
 * the event (the payload keeps what was sent).
 */
function withoutUserInfo(url: string | null): string | null {
  if (url === null || !url.includes('@')) return url;
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}
