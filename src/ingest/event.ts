/** @module The canonical event: the one shape every ingestion family stores and every export emits. */
import { Type as T, type Static } from '@sinclair/typebox';
import type { GeoLocation } from './geo.ts';
import type { Utm } from './url.ts';
import type { ParsedUserAgent } from './user-agent.ts';

const Str = T.Union([T.String(), T.Null()]);

export const EventSource = T.Union([T.Literal('prisme'), T.Literal('rudder'), T.Literal('pixel')]);
export type EventSource = Static<typeof EventSource>;

export const EventType = T.Union(
  [
    'pageview', 'custom', 'file-download', 'outbound-link',
    'page', 'track', 'identify', 'screen', 'group', 'alias', 'pixel',
  ].map((v) => T.Literal(v)),
);
export type EventType = Static<typeof EventType>;

/** Field order here is the column order of CSV export and of the NDJSON objects. */
export const CanonicalEvent = T.Object(
  {
    id: T.String({ description: 'UUIDv7, time-ordered' }),
    timestamp: T.String({ description: 'ISO-8601 UTC with milliseconds' }),
    source: EventSource,
    type: EventType,
    websiteId: Str,
    pixelId: Str,
    name: Str,
    url: Str,
    hostname: Str,
    path: Str,
    query: Str,
    referrer: Str,
    referrerDomain: Str,
    target: Str,
    status: T.Union([T.Integer(), T.Null()]),
    visitorId: Str,
    sessionId: Str,
    anonymousId: Str,
    userId: Str,
    browser: Str,
    browserVersion: Str,
    os: Str,
    osVersion: Str,
    device: Str,
    country: Str,
    region: Str,
    city: Str,
    utmSource: Str,
    utmMedium: Str,
    utmCampaign: Str,
    utmTerm: Str,
    utmContent: Str,
    properties: T.Union([T.Record(T.String(), T.Unknown()), T.Null()]),
    payload: T.Union([T.Record(T.String(), T.Unknown()), T.Null()]),
  },
  { $id: 'CanonicalEvent', description: 'One stored hit, as exported' },
);
export type CanonicalEvent = Static<typeof CanonicalEvent>;

export const EVENT_FIELDS = Object.keys(CanonicalEvent.properties) as (keyof CanonicalEvent)[];

/** An event with every optional field null: families fill in what they know. */
export function blankEvent(
  id: string,
  timestamp: string,
  source: EventSource,
  type: EventType,
): CanonicalEvent {
  return {
    id, timestamp, source, type,
    websiteId: null, pixelId: null, name: null, url: null, hostname: null, path: null,
    query: null, referrer: null, referrerDomain: null, target: null, status: null,
    visitorId: null, sessionId: null, anonymousId: null, userId: null,
    browser: null, browserVersion: null, os: null, osVersion: null, device: null,
    country: null, region: null, city: null,
    utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
    properties: null, payload: null,
  };
}

/** The client's browser, OS and device (its parsed user agent) into the event. */
export function putClient(e: CanonicalEvent, c: ParsedUserAgent): void {
  e.browser = c.browser;
  e.browserVersion = c.browserVersion;
  e.os = c.os;
  e.osVersion = c.osVersion;
  e.device = c.device;
}

/** Where the client is (country, region, city) into the event. */
export function putGeo(e: CanonicalEvent, g: GeoLocation): void {
  e.country = g.country;
  e.region = g.region;
  e.city = g.city;
}

/** The five UTM fields into the event. */
export function putUtm(e: CanonicalEvent, u: Utm): void {
  e.utmSource = u.utmSource;
  e.utmMedium = u.utmMedium;
  e.utmCampaign = u.utmCampaign;
  e.utmTerm = u.utmTerm;
  e.utmContent = u.utmContent;
}
